"""The base every other package builds on: what the booth, the stimuli, the networks and
the analysis share.

* :mod:`lab.errors` - the one error type a user sees as one line (``LabInputError``)
* :mod:`lab.categories` - the 16 classes of 16-class-ImageNet and their WordNet mapping
* :mod:`lab.design` - the experiment design files (conditions, levels, trial phases)
* :mod:`lab.images` - reading and writing image files
* :mod:`lab.manifest` - a stimulus set's ``manifest.csv`` and its sha256 checks
* :mod:`lab.schema`, :mod:`lab.trial_file`, :mod:`lab.accounting`, :mod:`lab.provenance` -
  the trial-record schema, the crash-safe trial file, the rule that each planned trial
  counts once, and the provenance block of every sidecar
* :mod:`lab.readers`, :mod:`lab.datasets` - reading trial records of every format (ours,
  the 2018 raw data, model-vs-human) and the bundled reference data
* :mod:`lab.oserrors`, :mod:`lab.progress` - operating-system errors as one line, progress bars

Nothing here imports PsychoPy, torch or matplotlib, nor any other package of the project.
"""

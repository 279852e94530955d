"""Read trial files of every format into one table of trial records.

Three formats are recognised, per file, from the header and the file name, each read by
a module of its own:

``lab`` (:mod:`lab.readers.lab_tsv`)
    our own trial TSVs (``lab.trial_file``): header ``experiment<TAB>observer<TAB>...``;
    a ``rule`` column marks a network's file.
``geirhos2018`` (:mod:`lab.readers.original`)
    the CSVs of Geirhos et al. 2018, ``<name>-experiment_<subj>_session_<n>.csv`` with the
    header ``subj,session,trial,rt,object_response,category,condition,imagename``; network
    files add ``entropy_1000, prob_correct_16, ...`` and ``..._sums`` variants.
``model-vs-human`` (:mod:`lab.readers.original`)
    the human CSVs of model-vs-human, ``<dataset>_<subj>_session_<n>.csv``, same 8 columns
    (some files say ``Session``).

:func:`read_trials` returns one :class:`pandas.DataFrame` with the columns of
:data:`RECORD_COLUMNS` (the base trial columns of :mod:`lab.schema` plus
``observer_type``, ``rule``, ``source_format``, ``texture``, ``image_key``, ``file`` and
``simulated``: the label of a simulated observer from its session's sidecar, else empty),
whatever the mix of formats. A tar archive of such files (``.tar.xz``, ``.tar.gz``, ``.tar``)
is read like a folder: the bundled 2018 human data are one (:mod:`lab.datasets`).
Optional per-trial columns (network scores, frame accounting)
are kept where a file has them.

Of our own files only the effective trials are returned: the last attempt of each trial
(:mod:`lab.accounting`); column ``superseded`` counts the records of that trial set
aside, ``attempt`` is the attempt kept (NaN for the original formats).
"""

from lab.readers.files import ARCHIVE_SUFFIXES, detect_format, is_archive, iter_trial_files
from lab.readers.imagenet import IMAGENET_COLUMNS, is_imagenet_file, read_imagenet_trials
from lab.readers.lab_tsv import incomplete_run, simulated_label
from lab.readers.original import ORIGINAL_COLUMNS, ORIGINAL_DNN_COLUMNS
from lab.readers.read import read_trials
from lab.readers.records import (
    DNN,
    HUMAN,
    OPTIONAL_COLUMNS,
    RECORD_COLUMNS,
    TrialFileKind,
    image_key,
    texture_of,
)

__all__ = [
    "ARCHIVE_SUFFIXES", "DNN", "HUMAN", "IMAGENET_COLUMNS", "OPTIONAL_COLUMNS", "ORIGINAL_COLUMNS",
    "ORIGINAL_DNN_COLUMNS", "RECORD_COLUMNS", "TrialFileKind",
    "detect_format", "image_key", "incomplete_run", "is_archive", "is_imagenet_file",
    "iter_trial_files", "read_imagenet_trials", "read_trials", "simulated_label", "texture_of",
]

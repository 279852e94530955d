"""The booth: display, calibration, trials, sessions, responses.

Layers, bottom to top; a module imports only from its own layer or the ones below
(``tests/test_layers.py`` checks this)::

    plan/     what a session will show, without touching the disk or a window:
              settings, frame plans, trial lists, planning, observer policies, resume rules
    files/    the session on disk: BIDS folders, creation, lock, sidecars, summaries,
              display profiles and calibration records
    run/      a session from start to end: launch, the trial walk, the window-less presenter
    window/   everything that needs PsychoPy or pyglet: the booth, display, screens, trial
    cli.py, calibrate.py, check.py   the command line; it picks the presenter (the booth
              from ``window/`` or the window-less one from ``run/``) and hands it down.
"""

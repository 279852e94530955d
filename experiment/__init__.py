"""The booth: the PsychoPy controller (display, calibration, trial, session, responses).

The only package that imports PsychoPy."""

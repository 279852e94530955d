"""Everything that imports PsychoPy or pyglet: the booth, the display and its
pre-flight, screens, the trial's frame loop, prompts, simulated clicking, the photometer,
the gamma fit, the session dialog and screenshots."""

"""A session from start to end: launch (lock, plan, files), the trial walk and the
window-less presenter. The window's presenter is handed in from above (``experiment.cli``)."""

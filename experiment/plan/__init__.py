"""What a session will show, settled without the disk's session files or a window:
settings, frame plans, trial lists, balanced planning, observer policies, resume rules."""

"""A session on disk: the BIDS folder, creation and lock, sidecars, participants,
summaries, the stimulus check, display profiles and calibration records."""

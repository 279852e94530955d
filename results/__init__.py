"""Results: one trial-record schema for humans and DNNs, crash-safe writing, readers of
the original files, analysis and plots. Imports neither PsychoPy nor torch."""

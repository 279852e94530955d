"""Stimuli: the 16 classes, image manipulations, noise masks, and stimulus sets.

Pure numpy/scipy/Pillow. Nothing here imports PsychoPy or torch, and importing the
package does no work.
"""

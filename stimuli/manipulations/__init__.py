"""Image manipulations of SPEC §1, registered by name with their numeric parameters.

>>> from stimuli.manipulations import get_manipulation, list_manipulations
>>> "contrast" in list_manipulations()
True
"""

from stimuli.manipulations import eidolon, filters, grey, opponent, spectral  # noqa: F401
from stimuli.manipulations.registry import (
    Manipulation,
    apply_manipulation,
    get_manipulation,
    list_manipulations,
)

__all__ = ["Manipulation", "apply_manipulation", "get_manipulation", "list_manipulations"]

"""Image manipulations of SPEC §1, registered by name with their numeric parameters.

>>> from stimuli.manipulations import get_manipulation, list_manipulations
>>> "contrast" in list_manipulations()
True
"""

from stimuli.manipulations import (  # noqa: F401
    bandpass,
    critical_band,
    eidolon,
    filters,
    grey,
    opponent,
    spectral,
    spectral_ffc,
)
from stimuli.manipulations.registry import (
    Manipulation,
    apply_condition,
    apply_manipulation,
    check_design,
    get_manipulation,
    list_manipulations,
)

__all__ = ["Manipulation", "apply_condition", "apply_manipulation", "check_design",
           "get_manipulation", "list_manipulations"]

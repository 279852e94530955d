"""Image manipulations of Geirhos et al. 2018 (Methods) and its successors, registered
by name with their numeric parameters.

>>> from stimuli.manipulations import get_manipulation, list_manipulations
>>> "contrast" in list_manipulations()
True
"""

import importlib
import pkgutil

from stimuli.manipulations.registry import (
    Manipulation,
    apply_condition,
    apply_manipulation,
    check_design,
    get_manipulation,
    list_manipulations,
)

# Every module of this package registers its manipulations when imported (``@register``):
# import them all, so that a new manipulation is one new module and nothing else.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "registry":
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["Manipulation", "apply_condition", "apply_manipulation", "check_design",
           "get_manipulation", "list_manipulations"]

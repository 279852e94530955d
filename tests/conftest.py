"""Import order for the whole suite: torch before PsychoPy.

The suite runs the booth's tests (PsychoPy, psychtoolbox, Qt) and the networks' tests
(torch) in one process. Importing torchvision after PsychoPy's audio and window stack has
loaded segfaults here (torch's bundled libraries are then resolved against the ones
PsychoPy's stack loaded first); importing torch first does not. The product never mixes
them: only ``experiment/`` imports PsychoPy and only ``models/`` imports torch.
"""

import contextlib

with contextlib.suppress(ImportError):
    import torch  # noqa: F401
    import torchvision.models  # noqa: F401

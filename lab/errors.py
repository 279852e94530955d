"""The one exception type for bad input that a lab member can fix."""


class LabInputError(Exception):
    """Bad input: the message is one line that names the file (or value) and the fix.

    Command-line entry points catch it, print the message and exit non-zero, so the
    user never sees a traceback for a mistake they can correct.
    """

"""Errors a user can act on: one sentence saying what is wrong and how to fix it."""


class TrackerError(Exception):
    """A failure caused by input or state the user controls."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message.rstrip(".")
        self.hint = hint.rstrip(".")
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}." if self.hint else f"{self.message}."


class NotFound(TrackerError):
    pass


class PermissionDenied(TrackerError):
    pass


class ValidationFailed(TrackerError):
    """Input that broke one or more rules; `errors` lists each problem."""

    def __init__(self, message: str, errors: list, hint: str = ""):
        self.errors = errors
        super().__init__(message, hint)

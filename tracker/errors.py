"""Errors a user can act on: one sentence saying what is wrong and how to fix it."""


class TrackerError(Exception):
    """A failure caused by input or state the user controls."""

    def __init__(self, message: str, hint: str = "", *, page_hint: str = ""):
        self.message = message.rstrip(".")
        self.hint = hint.rstrip(".")
        # The hint as a dashboard page words it, when the command line's names an option.
        self.page_hint = page_hint.rstrip(".")
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}." if self.hint else f"{self.message}."

    def on_page(self) -> str:
        """The error as a page says it: the page's hint where the command line's names an option."""
        hint = self.page_hint or self.hint
        return f"{self.message}; {hint}." if hint else f"{self.message}."


class NotFound(TrackerError):
    pass


class PermissionDenied(TrackerError):
    pass


class ValidationFailed(TrackerError):
    """Input that broke one or more rules; `errors` lists each problem."""

    def __init__(self, message: str, errors: list, hint: str = ""):
        self.errors = errors
        super().__init__(message, hint)

"""Domain errors raised by services; one place (core.api.exception_handler, web views) maps them to HTTP."""


class DomainError(Exception):
    """A rule of the domain refused the act. `field` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403


class TransitionNotAllowed(DomainError):
    status_code = 409


class StaleEdit(DomainError):
    """Someone else saved first: the version the editor started from is no longer current."""

    status_code = 409

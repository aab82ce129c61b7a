"""Domain errors: what a service refuses, with a code and an HTTP status.

Services raise these; the API's exception handler (core.api) turns them into
`{"detail": ..., "code": ...}` and the admin shows them as messages. A domain error always
means nothing was changed: the service raises before writing or inside its transaction.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status_code = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, **self.extra}


class ValidationError(DomainError):
    code = "invalid"
    status_code = 400


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """The request is valid but the current state forbids it (e.g. a wrong order status)."""

    code = "conflict"
    status_code = 409


class PreconditionFailed(DomainError):
    """The client's If-Match / version does not match the current version."""

    code = "stale_version"
    status_code = 412
    default_message = _("The resource was changed by someone else; reload it and try again.")


class Unprocessable(DomainError):
    code = "unprocessable"
    status_code = 422

"""Base class for domain errors. The API maps them to 4xx with a stable body."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the operation.

    Subclasses set ``code`` (machine-readable, stable), ``title`` (human, translatable)
    and ``status_code`` (409 by default: the request was valid but conflicts with state).
    """

    code = "domain_error"
    title = _("The operation was refused.")
    status_code = 409

    def __init__(self, detail: str | None = None, *, errors: dict | None = None):
        self.detail = detail or str(self.title)
        self.errors = errors or {}
        super().__init__(self.detail)

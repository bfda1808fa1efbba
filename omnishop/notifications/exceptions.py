from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class ConsentRequired(DomainError):
    """A promotional message for someone whose marketing consent the caller did not pass."""

    code = "consent_required"
    title = _("A promotional message needs the customer's marketing consent.")
    status_code = 409


class NotResendable(DomainError):
    code = "not_resendable"
    title = _("Only a failed notification is sent again.")
    status_code = 409


class DeliveryFailed(Exception):
    """A send attempt failed and attempts remain: the task retries it with backoff."""

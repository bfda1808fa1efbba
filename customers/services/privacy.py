"""A person's rights over their data (GDPR, in Poland RODO): everything omnishop holds about a
customer as one JSON document (art. 15 and 20), and erasure (art. 17) that anonymises the
personal data and keeps what accounting must keep (orders and their amounts).

Customers own the profile, identities, consents, notes and notifications; the apps above it
(orders, later loyalty and returns) add their part through what they register here, as they
do for merges: an export part, an erasure step, and a check that refuses erasure while
something still needs the person (an open order). Every export, erasure and opening of the
customer's card in admin is recorded in ``CustomerDataAccess``."""

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.notifications.models import Notification

from ..models import Consent, ConsentEvent, Customer, CustomerDataAccess, CustomerIdentity, CustomerNote

ExportPart = Callable[[Customer], object]
ErasureStep = Callable[..., int]
ErasureCheck = Callable[[Customer], str | None]

_EXPORT_PARTS: dict[str, ExportPart] = {}
_ERASURE_STEPS: dict[str, ErasureStep] = {}
_ERASURE_CHECKS: dict[str, ErasureCheck] = {}

ERASED_NOTE = "[erased]"


def customer_privacy_register(
    name: str, *, export: ExportPart | None = None, erase: ErasureStep | None = None, check: ErasureCheck | None = None
) -> None:
    """An app above customers takes part in the export and the erasure under ``name``:
    ``export(customer)`` returns its JSON-ready part of the document; ``check(customer)`` returns
    why the person cannot be erased yet (or None); ``erase(customer=, actor=)`` anonymises its
    rows inside the erasure's transaction, the customer row locked, and returns how many."""
    if export is not None:
        _EXPORT_PARTS[name] = export
    if erase is not None:
        _ERASURE_STEPS[name] = erase
    if check is not None:
        _ERASURE_CHECKS[name] = check


class ErasureRefused(ValidationError):
    """The customer's data cannot be erased now (an open order, a merged record, erased already)."""


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _profile(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "city": customer.city,
        "language": customer.language,
        "notification_channel": customer.notification_channel,
        "created_at": _when(customer.created_at),
        "login": customer.user.email if customer.user_id else None,
    }


def customer_data_export(*, customer: Customer, actor=None) -> dict:
    """Everything omnishop holds about ``customer``, as one JSON-ready document, and the record
    that ``actor`` (None: the customer themselves) took it."""
    customer = Customer.objects.select_related("user").get(pk=customer.pk)
    document = {
        "exported_at": _when(timezone.now()),
        "customer": _profile(customer),
        "identities": [
            {"kind": kind, "value": value, "channel": channel, "created_at": _when(created)}
            for kind, value, channel, created in CustomerIdentity.objects.filter(customer=customer)
            .order_by("kind", "id")
            .values_list("kind", "value", "channel__code", "created_at")
        ],
        "consents": [
            {"purpose": purpose, "granted": granted, "text_version": version, "updated_at": _when(updated)}
            for purpose, granted, version, updated in Consent.objects.filter(customer=customer)
            .order_by("purpose")
            .values_list("purpose", "granted", "text_version", "updated_at")
        ],
        "consent_history": [
            {"purpose": purpose, "granted": granted, "text_version": version, "channel": channel, "at": _when(at)}
            for purpose, granted, version, channel, at in ConsentEvent.objects.filter(customer=customer)
            .order_by("created_at", "id")
            .values_list("purpose", "granted", "text_version", "channel__code", "created_at")
        ],
        "notes": [
            {"text": text, "pinned": pinned, "created_at": _when(created)}
            for text, pinned, created in CustomerNote.objects.filter(customer=customer)
            .order_by("created_at", "id")
            .values_list("text", "pinned", "created_at")
        ],
        "notifications": [
            {"channel": channel, "template": template, "recipient": recipient, "status": status, "sent_at": _when(sent)}
            for channel, template, recipient, status, sent in Notification.objects.filter(customer=customer)
            .order_by("created_at", "id")
            .values_list("channel", "template", "recipient", "status", "sent_at")
        ],
    }
    for name, part in _EXPORT_PARTS.items():
        document[name] = part(customer)
    CustomerDataAccess.objects.create(customer=customer, user=actor, kind=CustomerDataAccess.Kind.EXPORTED)
    return document


def customer_data_viewed(*, customer: Customer, user) -> None:
    """``user`` opened the customer's personal data (the card in admin)."""
    CustomerDataAccess.objects.create(customer=customer, user=user, kind=CustomerDataAccess.Kind.VIEWED)


def customers_data_viewed(*, customer_ids, user, kind: str = CustomerDataAccess.Kind.VIEWED) -> None:
    """``user`` saw these customers' personal data (a store's look-up; ``LISTED``: a list exported
    from admin), one record each, in one insert."""
    CustomerDataAccess.objects.bulk_create(
        [CustomerDataAccess(customer_id=pk, user=user, kind=kind) for pk in customer_ids], batch_size=1000
    )


def customer_erasure_blockers(customer: Customer) -> list[str]:
    """Why ``customer`` cannot be erased now; empty when they can."""
    reasons = []
    if customer.erased_at is not None:
        reasons.append(_("This customer's personal data was erased already."))
    if hasattr(customer, "merged_into_record"):
        reasons.append(_("This customer was merged into another one: erase the customer kept."))
    reasons += [reason for check in _ERASURE_CHECKS.values() if (reason := check(customer))]
    return reasons


def _notifications_erase(customer: Customer) -> int:
    """What the customer was sent keeps its kind and time, not the address or the contents; one
    not sent yet is never sent."""
    notifications = Notification.objects.filter(customer=customer)
    unsent = notifications.filter(status__in=[Notification.Status.PENDING, Notification.Status.FAILED])
    unsent.update(status=Notification.Status.CANCELLED, last_error="")
    sent = notifications.exclude(status=Notification.Status.CANCELLED).update(recipient=ERASED_NOTE, context={})
    return sent + notifications.filter(status=Notification.Status.CANCELLED).update(recipient="", context={})


def _login_erase(user) -> None:
    """The login can no longer sign in and names no one (its e-mail addresses go with it)."""
    user.email, user.first_name, user.last_name, user.is_active = f"erased-{user.pk}@invalid", "", "", False
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
    EmailAddress.objects.filter(user=user).delete()


@dataclass(frozen=True)
class ErasureResult:
    customer: Customer
    erased: dict[str, int]


def customer_erase(*, customer: Customer, actor=None) -> ErasureResult:
    """Anonymise everything that names ``customer``: the profile, the login (deactivated, its
    e-mail replaced), identities (deleted), notes, notifications' recipients and contents, and
    what the apps above register (their orders' contact and address fields, for orders). The
    customer row and orders with their amounts stay. Refused, with nothing changed, while a
    blocker holds (``customer_erasure_blockers``), e.g. an order still open."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)
        reasons = customer_erasure_blockers(customer)
        if reasons:
            raise ErasureRefused(reasons, code="erasure_refused")
        erased = {
            "identities": CustomerIdentity.objects.filter(customer=customer).delete()[0],
            "notes": CustomerNote.objects.filter(customer=customer).update(text=ERASED_NOTE),
            "notifications": _notifications_erase(customer),
        }
        for name, step in _ERASURE_STEPS.items():
            erased[name] = step(customer=customer, actor=actor)
        if customer.user_id:
            _login_erase(customer.user)
        customer.first_name = customer.last_name = customer.email = customer.phone = customer.city = ""
        customer.erased_at = timezone.now()
        customer.save(update_fields=["first_name", "last_name", "email", "phone", "city", "erased_at"])
        CustomerDataAccess.objects.create(customer=customer, user=actor, kind=CustomerDataAccess.Kind.ERASED)
    return ErasureResult(customer=customer, erased=erased)

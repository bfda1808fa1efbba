"""Consents: one current answer per (customer, purpose) and the append-only history of how it
came to be. A change is written with the customer row locked, so two channels changing the same
consent at once leave one answer and both acts in the history."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Consent, ConsentEvent, ConsentPurpose, Customer


def consent_set(
    *, customer: Customer, purpose: str, granted: bool, text_version: str, channel=None, actor=None
) -> Consent:
    """Give (``granted=True``) or withdraw a consent for ``purpose``, as shown in the consent text
    ``text_version``, through ``channel`` (None: an agent in admin). Re-sending the same answer
    for the same text changes nothing and writes no history. Raises ``ValidationError`` for an
    unknown purpose or a missing text version."""
    errors = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Unknown consent purpose %(purpose)s.") % {"purpose": purpose}]
    text_version = str(text_version or "").strip()
    if not text_version:
        errors["text_version"] = [_("Say which version of the consent text the customer was shown.")]
    elif len(text_version) > 40:
        errors["text_version"] = [_("At most 40 characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).get()
        current = Consent.objects.filter(customer=customer, purpose=purpose).first()
        if current is not None and current.granted == granted and current.text_version == text_version:
            return current
        now = timezone.now()
        consent, _created = Consent.objects.update_or_create(
            customer=customer,
            purpose=purpose,
            defaults={"granted": granted, "text_version": text_version, "updated_at": now},
        )
        ConsentEvent.objects.create(
            customer=customer, purpose=purpose, granted=granted, text_version=text_version, channel=channel, actor=actor
        )
    return consent

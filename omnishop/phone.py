"""Phone numbers as the project stores them: E.164 (``+48601234567``), whatever way they were typed."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_PHONE = _("Enter a valid phone number, e.g. +48 601 234 567.")


def phone_e164(text: str, region: str = "PL") -> str:
    """``text`` in E.164; a number without a country code is read as one of ``region``.
    Raises ``ValidationError`` (code ``invalid_phone``) when it is not a possible, valid number."""
    try:
        number = phonenumbers.parse(str(text), region)
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_PHONE, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

"""GTIN (EAN-8, UPC-A/GTIN-12, EAN-13, GTIN-14) validation with the GS1 check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits before it: weights 3,1,3,1… from the right (GS1)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_is_valid(code: str) -> bool:
    return (
        code.isascii() and code.isdigit() and len(code) in GTIN_LENGTHS and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def validate_gtin(value: str) -> None:
    if not (value.isascii() and value.isdigit()):
        raise ValidationError(_("A GTIN/EAN has digits only."), code="gtin_not_digits")
    if len(value) not in GTIN_LENGTHS:
        raise ValidationError(
            _("A GTIN/EAN has 8, 12, 13 or 14 digits, not %(n)d."),
            code="gtin_length",
            params={"n": len(value)},
        )
    if not gtin_is_valid(value):
        raise ValidationError(
            _("The check digit of %(value)s is wrong: it should be %(digit)d."),
            code="gtin_check_digit",
            params={"value": value, "digit": gtin_check_digit(value[:-1])},
        )

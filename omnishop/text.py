"""Characters no text from outside may carry: NUL (PostgreSQL cannot store it), other C0 control
characters except tab, LF and CR, and lone UTF-16 surrogates (they cannot be encoded back)."""

import re

FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A number as int()/Decimal() read it: any script's decimal digits, a sign, a point or comma.
_NUMBER_LIKE = re.compile(r"\s*[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?\s*")


def has_forbidden_characters(value: str) -> bool:
    return FORBIDDEN_CHARACTERS.search(value) is not None


def ascii_integer_text(value: str) -> bool:
    """True for an optionally signed run of ASCII digits ("12", "-3"); "١٢" and "²" are not numbers here."""
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isascii() and digits.isdigit()


def non_ascii_number(value: str) -> bool:
    """True for text int() or Decimal() would read as a number although it is not written in
    ASCII digits ("١٢", fullwidth digits): only 0-9 are numbers here, whatever the field."""
    return not value.isascii() and _NUMBER_LIKE.fullmatch(value) is not None

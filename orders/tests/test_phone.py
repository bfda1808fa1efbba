"""Contact phones are stored in E.164, read as Polish numbers when typed without a country code."""

import pytest
from django.core.exceptions import ValidationError

from omnishop.phone import phone_e164


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("601 234 567", "+48601234567"), ("+48 601-234-567", "+48601234567"), ("0049 30 1234567", "+49301234567")],
)
def test_phones_become_e164(typed, stored):
    assert phone_e164(typed) == stored


@pytest.mark.parametrize("typed", ["12", "not a phone", "+48 123"])
def test_a_bad_phone_is_a_validation_error(typed):
    with pytest.raises(ValidationError) as exc:
        phone_e164(typed)
    assert exc.value.code == "invalid_phone"

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import VariantFactory, ean13
from catalog.validators import gtin_check_digit, gtin_is_valid, validate_gtin


@pytest.mark.parametrize(
    "code",
    [
        "5901234123457",  # EAN-13 (GS1 Poland example)
        "4006381333931",  # EAN-13
        "96385074",  # EAN-8
        "036000291452",  # UPC-A / GTIN-12
        "10012345678902",  # GTIN-14
        "0000000000000",
    ],
)
def test_valid_gtins(code):
    assert gtin_is_valid(code)
    validate_gtin(code)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("5901234123458", "gtin_check_digit"),
        ("4006381333932", "gtin_check_digit"),
        ("590123412345", "gtin_check_digit"),  # 12 digits, wrong check digit
        ("59012341234", "gtin_length"),
        ("590123412345700", "gtin_length"),
        ("59012341234a7", "gtin_not_digits"),
        ("\uff15\uff19\uff10" + "1234123457", "gtin_not_digits"),  # full-width digits are not ASCII
        ("", "gtin_not_digits"),
    ],
)
def test_invalid_gtins(code, error_code):
    assert not gtin_is_valid(code)
    with pytest.raises(ValidationError) as exc:
        validate_gtin(code)
    assert exc.value.code == error_code


def test_check_digit_message_names_the_right_digit():
    with pytest.raises(ValidationError) as exc:
        validate_gtin("5901234123450")
    assert "should be 7" in exc.value.messages[0]


def test_check_digit_of_generated_codes():
    for n in range(200):
        code = ean13(n)
        assert len(code) == 13
        assert int(code[-1]) == gtin_check_digit(code[:-1])


@pytest.mark.django_db
def test_variant_full_clean_refuses_bad_ean_and_stores_blank_as_null():
    variant = VariantFactory.build(product=VariantFactory().product, sku="X-1", ean="5901234123458")
    with pytest.raises(ValidationError) as exc:
        variant.full_clean()
    assert "ean" in exc.value.message_dict
    variant.ean = ""
    variant.full_clean()
    assert variant.ean is None

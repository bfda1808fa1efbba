from decimal import Decimal

import pytest

from loyalty.basket import apportion


def test_parts_sum_to_the_amount_and_follow_the_weights():
    parts = apportion(Decimal("10.00"), {1: Decimal("100"), 2: Decimal("100"), 3: Decimal("100")}, "PLN")
    assert sum(parts.values()) == Decimal("10.00")
    # 3.333… each: the cent left over goes to the smallest key on a tie.
    assert parts == {1: Decimal("3.34"), 2: Decimal("3.33"), 3: Decimal("3.33")}


def test_the_largest_remainder_wins_the_leftover_unit():
    parts = apportion(Decimal("1.00"), {7: Decimal("1"), 8: Decimal("2")}, "PLN")
    assert parts == {7: Decimal("0.33"), 8: Decimal("0.67")}


@pytest.mark.parametrize("amount", ["0.01", "0.02", "9.99", "123.45", "1000.00"])
def test_any_amount_over_uneven_weights_sums_exactly(amount):
    weights = {i: Decimal(w) for i, w in enumerate(["19.99", "249.00", "0.01", "77.70", "5.00"], start=1)}
    parts = apportion(Decimal(amount), weights, "PLN")
    assert sum(parts.values()) == Decimal(amount)
    assert all(part >= 0 for part in parts.values())


def test_lines_without_weight_get_nothing():
    assert apportion(Decimal("5.00"), {1: Decimal("0"), 2: Decimal("10")}, "PLN") == {2: Decimal("5.00")}
    assert apportion(Decimal("5.00"), {1: Decimal("0")}, "PLN") == {}


def test_currencies_without_minor_units_share_whole_units():
    parts = apportion(Decimal("100"), {1: Decimal("1"), 2: Decimal("1"), 3: Decimal("1")}, "JPY")
    assert parts == {1: Decimal("34"), 2: Decimal("33"), 3: Decimal("33")}

import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Price, PriceHistory
from catalog.services import PriceRow, price_set, prices_import
from catalog.tests.factories import VariantFactory
from conftest import run_in_threads


@pytest.mark.django_db
def test_price_set_creates_price_and_history(user):
    variant = VariantFactory()
    price = price_set(variant=variant, amount=Decimal("199.99"), actor=user, reason="launch")
    assert price.amount == Decimal("199.99") and price.currency == "PLN"
    entry = PriceHistory.objects.get(variant=variant)
    assert (entry.old_amount, entry.new_amount, entry.changed_by, entry.reason) == (
        None,
        Decimal("199.99"),
        user,
        "launch",
    )


@pytest.mark.django_db
def test_price_change_records_old_and_new(user):
    variant = VariantFactory()
    price_set(variant=variant, amount=Decimal("199.99"), actor=user)
    price_set(variant=variant, amount=Decimal("149.99"), actor=user, reason="promo")
    assert Price.objects.get(variant=variant).amount == Decimal("149.99")
    latest = PriceHistory.objects.filter(variant=variant).first()
    assert (latest.old_amount, latest.new_amount, latest.reason) == (Decimal("199.99"), Decimal("149.99"), "promo")


@pytest.mark.django_db
def test_same_amount_writes_no_history():
    variant = VariantFactory()
    price_set(variant=variant, amount=Decimal("10.00"))
    price_set(variant=variant, amount=Decimal("10"))
    assert PriceHistory.objects.filter(variant=variant).count() == 1


@pytest.mark.django_db
def test_currencies_are_separate_prices():
    variant = VariantFactory()
    price_set(variant=variant, amount=Decimal("100.00"), currency="PLN")
    price_set(variant=variant, amount=Decimal("23.00"), currency="EUR")
    assert dict(Price.objects.filter(variant=variant).values_list("currency", "amount")) == {
        "PLN": Decimal("100.00"),
        "EUR": Decimal("23.00"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (Decimal("-1"), "amount"),
        (Decimal("1.999"), "amount"),
        (19.99, "amount"),
        ("abc", "amount"),
        (Decimal("NaN"), "amount"),
        (Decimal("1e20"), "amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_written(amount, field):
    variant = VariantFactory()
    with pytest.raises(ValidationError) as exc:
        price_set(variant=variant, amount=amount)
    assert field in exc.value.message_dict
    assert not Price.objects.filter(variant=variant).exists()
    assert not PriceHistory.objects.filter(variant=variant).exists()


@pytest.mark.django_db
def test_unknown_currency_is_refused():
    with pytest.raises(ValidationError) as exc:
        price_set(variant=VariantFactory(), amount=Decimal("1.00"), currency="ZZZ")
    assert "currency" in exc.value.message_dict


@pytest.mark.django_db
def test_prices_import_upserts_with_history(user):
    a, b = VariantFactory(), VariantFactory()
    price_set(variant=a, amount=Decimal("50.00"))
    counts = prices_import(
        rows=[
            PriceRow(a.id, "PLN", Decimal("45.00")),
            PriceRow(b.id, "PLN", Decimal("20.00")),
            PriceRow(b.id, "EUR", Decimal("5.00")),
        ],
        actor=user,
        reason="ERP feed",
    )
    assert counts == {"created": 2, "updated": 1, "unchanged": 0}
    assert Price.objects.get(variant=a, currency="PLN").amount == Decimal("45.00")
    assert PriceHistory.objects.filter(reason="ERP feed").count() == 3
    again = prices_import(rows=[PriceRow(a.id, "PLN", Decimal("45.00"))])
    assert again == {"created": 0, "updated": 0, "unchanged": 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_price_changes_keep_one_row_and_a_consistent_history():
    """20 threads set the same variant's price at once: one Price row, and the history is a
    chain (each entry's old amount is the previous entry's new amount), ending at the current price."""
    variant = VariantFactory()
    results = run_in_threads(
        lambda i: price_set(variant=variant, amount=Decimal(100 + i), reason=f"t{i}"),
        [(i,) for i in range(20)],
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert Price.objects.filter(variant=variant, currency="PLN").count() == 1
    chain = list(PriceHistory.objects.filter(variant=variant).order_by("changed_at", "id"))
    assert len(chain) == 20
    assert chain[0].old_amount is None
    for prev, nxt in itertools.pairwise(chain):
        assert nxt.old_amount == prev.new_amount
    assert chain[-1].new_amount == Price.objects.get(variant=variant).amount

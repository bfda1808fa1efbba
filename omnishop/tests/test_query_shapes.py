"""Query shapes: Django's own SQL compiled once, re-run with new values, same rows as the ORM."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import VariantFactory
from inventory.models import Location, StockHold
from inventory.selectors import (
    locations_nearest_that_can_serve,
    locations_that_can_serve,
    pickup_options_list,
    stock_availability_by_location,
)
from inventory.selectors import nearest as nearest_selectors
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory
from omnishop.query_shapes import QueryShape, ShapeError

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    """8 variants at 12 locations (stores with ring-fences, warehouses), random stock and holds."""
    rng = random.Random(7)
    variants = [VariantFactory() for _ in range(8)]
    locations = []
    for i in range(12):
        store = i % 3 != 0
        locations.append(
            LocationFactory(
                code=f"loc-{i:02d}",
                kind="store" if store else "warehouse",
                latitude=Decimal(str(round(rng.uniform(49.5, 54.5), 6))),
                longitude=Decimal(str(round(rng.uniform(14.5, 23.5), 6))),
                ring_fence=rng.choice([0, 1, 2]) if store else 0,
                click_and_collect=store,
                ships_online=not store or i % 4 == 1,
                ship_from_store=store and i % 5 == 2,
                opening_hours={"mon": "10:00-20:00"} if store else {},
            )
        )
    for variant in variants:
        for location in locations:
            if rng.random() < 0.8:
                stock_receive(variant=variant, location=location, quantity=rng.randint(1, 6))
    expires = timezone.now() + timedelta(hours=1)
    StockHold.objects.bulk_create(
        StockHold(
            variant=rng.choice(variants),
            location=rng.choice(locations),
            quantity=1,
            kind=StockHold.Kind.CART,
            reference=f"cart-{i}",
            expires_at=expires,
        )
        for i in range(30)
    )
    return {"variants": variants, "locations": locations, "rng": rng}


def test_a_shape_gives_the_rows_the_orm_gives_for_every_value(grid):
    """Compiled once per number of variants, then re-bound: the rows equal a fresh ORM read."""
    from inventory.selectors.availability import _BY_LOCATION, _by_location_queryset

    rng, ids = grid["rng"], [v.pk for v in grid["variants"]]
    _BY_LOCATION._compiled.clear()
    for _ in range(12):
        chosen = sorted(rng.sample(ids, rng.randint(1, 4)))
        at = timezone.now() + timedelta(minutes=rng.choice([0, 90]))  # 90: the holds have expired
        assert _BY_LOCATION.rows(ids=chosen, at=at) == list(_by_location_queryset(ids=chosen, at=at))
    assert len(_BY_LOCATION._compiled) <= 4  # one compiled statement per list length


def test_shape_rows_pass_through_the_fields_converters(grid):
    """JSON columns come back decoded and DecimalFields as Decimals, as from the ORM."""
    rows = nearest_selectors._NEAREST.rows(
        shape={"limit": 3, "click_and_collect": True}, latitude=52.23, longitude=21.01
    )
    orm = list(nearest_selectors._nearest_queryset(latitude=52.23, longitude=21.01, limit=3, click_and_collect=True))
    assert rows == orm and rows
    fields = nearest_selectors._LOCATION_FIELDS
    assert rows[0][fields.index("opening_hours")] == {"mon": "10:00-20:00"}
    assert isinstance(rows[0][fields.index("latitude")], Decimal)


def test_nearest_that_can_serve_answers_as_the_single_query_form(grid):
    rng, ids = grid["rng"], [v.pk for v in grid["variants"]]
    for _ in range(15):
        lines = {v: rng.choice([1, 1, 2, 3]) for v in rng.sample(ids, rng.randint(1, 3))}
        lat, lng = rng.uniform(49.5, 54.5), rng.uniform(14.5, 23.5)
        for online in (True, False):
            expected = list(
                locations_that_can_serve(
                    lines=lines, online=online, latitude=lat, longitude=lng, click_and_collect=True
                )[:4]
            )
            found = locations_nearest_that_can_serve(lines=lines, online=online, latitude=lat, longitude=lng, limit=4)
            assert [(x.code, round(x.distance_km, 6)) for x in found] == [
                (x.code, round(x.distance_km, 6)) for x in expected
            ]
            assert all(isinstance(x, Location) and x.opening_hours is not None for x in found)


def test_pickup_options_and_cart_availability_agree_with_each_other(grid):
    """The pickup hint's units at a store are the cart availability's units there."""
    rng, ids = grid["rng"], [v.pk for v in grid["variants"]]
    for _ in range(6):
        lines = dict.fromkeys(rng.sample(ids, 3), 1)
        by_location = {
            s.location_id: s.available for s in stock_availability_by_location(variant_ids=lines, online=True)
        }
        for option in pickup_options_list(lines=lines, online=True, latitude=52.0, longitude=19.0, limit=5):
            assert option.available == by_location[option.location.pk]


def test_a_value_the_orm_folds_away_refuses_to_compile():
    shape = QueryShape(lambda *, ids, unused: Location.objects.filter(pk__in=ids).values_list("pk"))
    with pytest.raises(ShapeError, match="unused"):
        shape.rows(ids=[1, 2], unused=5)


def test_flags_are_shape_not_values():
    shape = QueryShape(lambda *, active: Location.objects.filter(is_active=active).values_list("pk"))
    with pytest.raises(ShapeError, match="booleans"):
        shape.rows(active=True)
    flagged = QueryShape(lambda *, active, code: Location.objects.filter(is_active=active, code=code).values_list("pk"))
    assert flagged.rows(shape={"active": True}, code="nope") == []
    on, off = flagged.sql(shape={"active": True}, code="x")[0], flagged.sql(shape={"active": False}, code="x")[0]
    assert on != off  # each flag value is its own compiled statement


def test_a_shape_is_a_values_list_queryset():
    shape = QueryShape(lambda *, ids: Location.objects.filter(pk__in=ids))
    with pytest.raises(ShapeError, match="values_list"):
        shape.rows(ids=[1])


def test_an_optional_value_is_its_own_shape(grid):
    """A hold reference to leave out adds a filter: with and without it are two statements."""
    from inventory.selectors.availability import _WITH_LOCATIONS, _with_locations_queryset

    hold = StockHold.objects.first()
    at, ids = timezone.now(), sorted({hold.variant_id, *(v.pk for v in grid["variants"][:2])})
    without = _WITH_LOCATIONS.rows(shape={"online": True}, ids=ids, at=at)
    with_reference = _WITH_LOCATIONS.rows(shape={"online": True}, ids=ids, at=at, reference=hold.reference)
    assert without == list(_with_locations_queryset(ids=ids, at=at, online=True))
    assert with_reference == list(_with_locations_queryset(ids=ids, at=at, online=True, reference=hold.reference))
    assert with_reference != without  # the held unit counts again once its hold is left out

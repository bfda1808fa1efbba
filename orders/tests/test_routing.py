"""The delivery rule of the routing policy, on plain data (no database): fewest shipments
first, then the nearest locations."""

from decimal import Decimal

from inventory.models import Location
from orders.routing import NearestFewestShipmentsPolicy

WARSAW = (Decimal("52.2297"), Decimal("21.0122"))


def location(pk, code, lat, lon, kind=Location.Kind.WAREHOUSE):
    return Location(pk=pk, code=code, kind=kind, latitude=lat, longitude=lon, ships_online=True)


def route(lines, stock, locations, point=WARSAW):
    available = {loc_id: dict(units) for loc_id, units in stock.items()}
    by_id = {loc.pk: loc for loc in locations}
    return NearestFewestShipmentsPolicy()._delivery(lines, available, by_id, *point)


def shipments(decision) -> dict[int, set[int]]:
    """location id -> the variants it ships."""
    out: dict[int, set[int]] = {}
    for line in decision.lines:
        out.setdefault(line.location_id, set()).add(line.variant_id)
    return out


def test_two_shipments_where_the_location_with_most_lines_would_lead_to_three():
    # X has four of the six lines, but Y and Z together have all six.
    x, y, z = location(1, "x", "52.23", "21.01"), location(2, "y", "50.06", "19.94"), location(3, "z", "54.35", "18.65")
    everything = dict.fromkeys(range(1, 7), 1)
    decision = route(
        everything,
        {1: dict.fromkeys((1, 2, 3, 4), 5), 2: dict.fromkeys((1, 2, 5), 5), 3: dict.fromkeys((3, 4, 6), 5)},
        [x, y, z],
    )
    assert decision.reason["shipments"] == 2 and sorted(decision.reason["locations"]) == ["y", "z"]
    assert shipments(decision) == {2: {1, 2, 5}, 3: {3, 4, 6}}


def test_among_sets_of_the_same_size_the_nearest_wins_and_each_line_comes_from_the_nearer():
    near, far, farther = (
        location(1, "near", "52.25", "21.00"),
        location(2, "far", "51.76", "19.46"),
        location(3, "farther", "50.06", "19.94"),
    )
    decision = route(
        {10: 1, 20: 1},
        {1: {10: 3}, 2: {10: 3, 20: 3}, 3: {10: 3, 20: 3}},
        [farther, far, near],
    )
    assert decision.reason["locations"] == ["far"]  # one shipment beats a nearer two
    decision = route({10: 1, 20: 1}, {1: {10: 3}, 2: {20: 3}, 3: {10: 3, 20: 3}}, [farther, far, near])
    assert decision.reason["locations"] == ["farther"]


def test_without_a_delivery_point_warehouses_ship_before_stores():
    store = location(1, "a-store", "52.23", "21.01", kind=Location.Kind.STORE)
    warehouse = location(2, "z-warehouse", "51.90", "19.60")
    decision = route({10: 1}, {1: {10: 5}, 2: {10: 5}}, [store, warehouse], point=(None, None))
    assert decision.reason["locations"] == ["z-warehouse"]


def test_too_many_candidate_sets_fall_back_to_the_greedy_choice_and_still_route_everything():
    locations = [location(i, f"l{i:02d}", "52.0", f"{19 + i / 100:.2f}") for i in range(1, 41)]
    lines = dict.fromkeys(range(1, 11), 1)
    stock = {loc.pk: {v: 1 for v in lines if (v + loc.pk) % 7 == 0} for loc in locations}
    decision = route(lines, stock, locations)
    assert sorted(ln.variant_id for ln in decision.lines) == list(range(1, 11))

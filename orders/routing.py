"""Routing (source selection): which locations serve an order. Replaceable via
``OMNISHOP_ROUTING_POLICY``; the decision and its reason are stored on the order.

Routing reads availability without locks; the allocation that follows locks and re-checks,
and the caller re-routes when someone else took the units in between.
"""

import itertools
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.exceptions import InsufficientStock
from inventory.models import Location
from inventory.selectors import stock_available_with_locations
from omnishop.vocabulary import FulfilmentType

from .selectors import stores_full_today


@dataclass(frozen=True)
class RoutedLine:
    variant_id: int
    location_id: int
    quantity: int


@dataclass
class RoutingDecision:
    lines: list[RoutedLine]
    # source location id -> {variant_id: quantity} to move to the pickup store
    transfers: dict[int, dict[int, int]] = field(default_factory=dict)
    reason: dict = field(default_factory=dict)
    # The Location rows the policy read, by id (optional: order_place loads any it lacks).
    locations: dict[int, Location] = field(default_factory=dict)


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


class NearestFewestShipmentsPolicy:
    """Click & collect / ROPIS: the chosen store if it has every unit; for click & collect the
    missing lines come from the nearest locations that have them, by transfer to the store.
    Delivery: the fewest shipments, then the shortest distance to the delivery point, from
    locations that ship online orders, respecting safety stock and store ring-fences."""

    name = "nearest_fewest_shipments"

    def route(
        self,
        *,
        lines: dict[int, int],
        fulfilment_type: str,
        online: bool,
        pickup_location: Location | None = None,
        latitude=None,
        longitude=None,
        exclude_hold_reference: str = "",
    ) -> RoutingDecision:
        rows, locations = stock_available_with_locations(
            variant_ids=list(lines), online=online, exclude_hold_reference=exclude_hold_reference
        )
        available: dict[int, dict[int, int]] = {}
        for row in rows:
            if row.available > 0:
                available.setdefault(row.location_id, {})[row.variant_id] = row.available
        if fulfilment_type == FulfilmentType.DELIVERY:
            full = self._full_stores(locations)
            decision = self._delivery(
                lines, available, {pk: loc for pk, loc in locations.items() if pk not in full}, latitude, longitude
            )
            if full:
                codes = sorted(locations[pk].code for pk in full)
                decision.reason["full_stores"] = codes
                decision.reason["capacity_note"] = capacity_note(codes)
        else:
            decision = self._pickup(
                lines, available, locations, pickup_location, allow_transfer=fulfilment_type != FulfilmentType.ROPIS
            )
        decision.locations = locations
        return decision

    @staticmethod
    def _full_stores(locations: dict[int, Location]) -> set[int]:
        """Stores that ship and have reached their daily pick capacity: no more parcels today."""
        limited = [
            loc
            for loc in locations.values()
            if loc.kind == Location.Kind.STORE and loc.ship_from_store and loc.daily_pick_capacity is not None
        ]
        return stores_full_today(locations=limited) if limited else set()

    # -- pickup ------------------------------------------------------------------------------
    def _pickup(self, lines, available, locations, store, *, allow_transfer: bool) -> RoutingDecision:
        at_store = available.get(store.pk, {})
        routed, missing = [], {}
        for variant_id, quantity in lines.items():
            if at_store.get(variant_id, 0) >= quantity:
                routed.append(RoutedLine(variant_id, store.pk, quantity))
            else:
                missing[variant_id] = quantity
        if not missing:
            return RoutingDecision(
                routed, reason={"policy": self.name, "rule": "pickup_store_has_all", "store": store.code}
            )
        if not allow_transfer:
            raise self._short(missing, _("The store does not have every item for reserve & try."))
        sources = sorted(
            (loc for loc in locations.values() if loc.pk != store.pk and (loc.ships_online or loc.ship_from_store)),
            key=lambda loc: (haversine_km(store.latitude, store.longitude, loc.latitude, loc.longitude), loc.code),
        )
        transfers: dict[int, dict[int, int]] = {}
        for variant_id, quantity in missing.items():
            remaining = quantity
            for loc in sources:
                take = min(available.get(loc.pk, {}).get(variant_id, 0), remaining)
                if take:
                    routed.append(RoutedLine(variant_id, loc.pk, take))
                    transfers.setdefault(loc.pk, {})[variant_id] = take
                    available[loc.pk][variant_id] -= take
                    remaining -= take
                if not remaining:
                    break
            if remaining:
                raise self._short({variant_id: quantity}, _("No location can supply the pickup store."))
        return RoutingDecision(
            routed,
            transfers=transfers,
            reason={
                "policy": self.name,
                "rule": "transfer_to_pickup_store",
                "store": store.code,
                "sources": sorted(locations[s].code for s in transfers),
            },
        )

    # -- delivery ----------------------------------------------------------------------------
    # Upper bound on the location sets the exact search for the fewest shipments tries (a set
    # of k among n candidates is C(n, k) sets); beyond it the greedy choice below decides.
    MAX_COVER_SETS = 10_000

    def _delivery(self, lines, available, locations, latitude, longitude) -> RoutingDecision:
        shippers = [loc for loc in locations.values() if loc.ships_online or loc.ship_from_store]

        def distance(loc) -> float:
            if latitude is None or longitude is None:
                return 0.0
            return haversine_km(latitude, longitude, loc.latitude, loc.longitude)

        # Nearest first; without a delivery point (or at equal distance) warehouses before
        # stores, whose stock also serves walk-in customers.
        shippers.sort(key=lambda loc: (distance(loc), loc.kind != Location.Kind.WAREHOUSE, loc.code))
        remaining = dict(lines)
        routed: list[RoutedLine] = []
        chosen: list[str] = []
        for variant_id, loc in self._fewest_full_cover(remaining, available, shippers, distance):
            routed.append(RoutedLine(variant_id, loc.pk, remaining.pop(variant_id)))
            available[loc.pk][variant_id] -= routed[-1].quantity
            if loc.code not in chosen:
                chosen.append(loc.code)
        while remaining:
            # The location that covers the most remaining lines in full, nearest first on ties.
            best, best_lines = None, []
            for loc in shippers:
                stock = available.get(loc.pk, {})
                covered = [v for v, q in remaining.items() if stock.get(v, 0) >= q]
                if len(covered) > len(best_lines):
                    best, best_lines = loc, covered
            if best is None:
                break
            for variant_id in best_lines:
                routed.append(RoutedLine(variant_id, best.pk, remaining.pop(variant_id)))
                available[best.pk][variant_id] -= routed[-1].quantity
            chosen.append(best.code)
        # Lines no single location has in full: split them, nearest first.
        for variant_id, quantity in list(remaining.items()):
            left = quantity
            for loc in shippers:
                take = min(available.get(loc.pk, {}).get(variant_id, 0), left)
                if take:
                    routed.append(RoutedLine(variant_id, loc.pk, take))
                    available[loc.pk][variant_id] -= take
                    left -= take
                    if loc.code not in chosen:
                        chosen.append(loc.code)
                if not left:
                    break
            if left:
                raise self._short({variant_id: quantity}, _("Not enough stock in locations that ship online."))
            remaining.pop(variant_id)
        return RoutingDecision(
            routed,
            reason={
                "policy": self.name,
                "rule": "fewest_shipments_then_nearest",
                "shipments": len(chosen),
                "locations": chosen,
                "destination": [latitude, longitude] if latitude is not None else None,
            },
        )

    def _fewest_full_cover(self, lines, available, shippers, distance) -> list[tuple[int, Location]]:
        """The fewest ``shippers`` that between them have every line in full (each line from
        one of them), the nearest such set on ties (sum of distances): [(variant id, location)].
        Empty when there is no such set, or when finding it would mean trying more than
        MAX_COVER_SETS sets: the greedy choice and line splits then decide."""
        keys = list(lines)
        everything = (1 << len(keys)) - 1
        candidates = []  # (rank, location, bit mask of the lines it has in full), in shippers' order
        for rank, loc in enumerate(shippers):
            stock = available.get(loc.pk, {})
            mask = sum(1 << i for i, v in enumerate(keys) if stock.get(v, 0) >= lines[v])
            if mask:
                candidates.append((rank, loc, mask))
        for size in range(1, min(len(candidates), len(keys)) + 1):
            if math.comb(len(candidates), size) > self.MAX_COVER_SETS:
                return []
            best = None
            for combo in itertools.combinations(candidates, size):
                union = 0
                for _rank, _loc, mask in combo:
                    union |= mask
                if union == everything:
                    key = (sum(distance(loc) for _r, loc, _m in combo), [rank for rank, _l, _m in combo])
                    if best is None or key < best[0]:
                        best = (key, combo)
            if best is not None:
                combo = best[1]  # in shippers' order: each line from the first of the set that has it
                return [(v, next(loc for _r, loc, mask in combo if mask >> i & 1)) for i, v in enumerate(keys)]
        return []

    @staticmethod
    def _short(missing: dict[int, int], detail: str) -> InsufficientStock:
        return InsufficientStock(detail, errors={str(v): [_("%(q)d wanted.") % {"q": q}] for v, q in missing.items()})


def capacity_note(codes: list[str]) -> str:
    """Why stores were left out of a delivery's sources, in the active language."""
    return _("Skipped, at their daily pick capacity: %(stores)s.") % {"stores": ", ".join(codes)}


def routing_policy():
    return import_string(settings.OMNISHOP_ROUTING_POLICY)()


def routing_explained(reason: dict, *, names: dict[str, str]) -> str:
    """A routing decision's reason (``RoutingDecision.reason``, ``Order.routing``) in words for
    the people who read it (agents, store staff); ``names``: location names by code (a code
    without one is shown as it is)."""

    def name(code) -> str:
        return names.get(code, str(code))

    rule = (reason or {}).get("rule")
    if rule == "pickup_store_has_all":
        text = _("Pickup store %(store)s: it has every line in stock.") % {"store": name(reason.get("store"))}
    elif rule == "transfer_to_pickup_store":
        text = _(
            "Transfer to the pickup store %(store)s from %(sources)s: the store lacks some lines, "
            "they come from the nearest locations that have them."
        ) % {"sources": ", ".join(name(c) for c in reason.get("sources", [])), "store": name(reason.get("store"))}
    elif rule == "fewest_shipments_then_nearest":
        sources = [name(c) for c in reason.get("locations", [])]
        if len(sources) == 1:
            text = _("%(source)s: one parcel with every line, the nearest location that has them all.") % {
                "source": sources[0]
            }
        else:
            text = ngettext(
                "%(sources)s: %(n)d parcel, the fewest possible, nearest first.",
                "%(sources)s: %(n)d parcels, no location has every line; the fewest possible, nearest first.",
                len(sources),
            ) % {"sources": ", ".join(sources), "n": len(sources)}
        if reason.get("destination_from") == "city":
            city_note = _("Distances are counted from the delivery city.")
            text = f"{text} {city_note}"
    elif rule:
        text = str(rule)
    else:
        text = ""
    return text

"""What placing an order reads before it writes anything, shared by ``checkout`` (placing) and
``preview`` (what an agent checks before confirming): where a delivery goes, the contact the
order's notices reach, the routing decision, and errors re-keyed by SKU."""

from catalog.selectors import variant_skus
from inventory.exceptions import InsufficientStock
from inventory.selectors import location_codes, location_point_in_city
from loyalty.exceptions import NotSellable

from ..requests import Contact
from ..routing import RoutingDecision


def delivery_point(address: dict) -> tuple[float | None, float | None, str]:
    """Where a delivery goes, for routing: the address's coordinates, else those of one of our
    locations in the address's city (a call-centre agent types an address, not coordinates),
    else none. Returns (latitude, longitude, "address" | "city" | "")."""
    if address.get("latitude") is not None and address.get("longitude") is not None:
        return address["latitude"], address["longitude"], "address"
    city = str(address.get("city") or "").strip()
    point = location_point_in_city(city=city) if city else None
    if point is not None:
        return point[0], point[1], "city"
    return None, None, ""


def contact_complete(contact: Contact | None, *, customer, company) -> Contact:
    """The order's contact: each field the request left blank comes from the customer, then from
    the company (a sales rep's order may have no customer), so the order's notices (the pickup
    code, shipping) reach someone however it was placed."""
    known = [contact or Contact()]
    if customer is not None:
        known.append(Contact(email=customer.email, phone=customer.phone, name=str(customer)))
    if company is not None:
        known.append(Contact(email=company.email, phone=company.phone, name=company.name))

    def first(field: str) -> str:
        return next((value for c in known if (value := getattr(c, field)).strip()), "")

    return Contact(email=first("email"), phone=first("phone"), name=first("name"))


def route_decide(policy, *, lines, fulfilment_type, online, pickup_location, point, cart) -> RoutingDecision:
    latitude, longitude, located_by = point
    decision = policy.route(
        lines=lines,
        fulfilment_type=fulfilment_type,
        online=online,
        pickup_location=pickup_location,
        latitude=latitude,
        longitude=longitude,
        exclude_hold_reference=cart.hold_reference if cart is not None else "",
    )
    if located_by:
        decision.reason["destination_from"] = located_by
    return decision


def errors_by_sku(exc: Exception) -> None:
    """Re-key a shortage's or an unsellable line's errors from the ids routing, pricing and
    allocation name ("variant_id", "variant_id@location_id") to what callers know: the SKU, and
    "sku@location_code" where a location is named. Keys of another shape are left as they are."""
    if not isinstance(exc, InsufficientStock | NotSellable) or not exc.errors:
        return
    parsed: dict[str, tuple[int, int | None]] = {}
    for key in exc.errors:
        variant, at, location = str(key).partition("@")
        if not variant.isdigit() or (at and not location.isdigit()):
            continue
        parsed[key] = (int(variant), int(location) if at else None)
    if not parsed:
        return
    skus = variant_skus(ids={v for v, _loc in parsed.values()})
    codes = location_codes(ids={loc for _v, loc in parsed.values() if loc is not None})

    def sku_key(key: str) -> str:
        if key not in parsed:
            return key
        variant, location = parsed[key]
        sku = skus.get(variant, str(variant))
        return sku if location is None else f"{sku}@{codes.get(location, location)}"

    exc.errors = {sku_key(key): messages for key, messages in exc.errors.items()}

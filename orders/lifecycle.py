"""The order state machine: allowed transitions and who may trigger each."""

from .models import Order

S = Order.Status

CUSTOMER = "customer"
AGENT = "agent"  # customer service, call centre
STORE_STAFF = "store_staff"
WAREHOUSE = "warehouse"
SYSTEM = "system"

TRANSITIONS: dict[str, dict[str, set[str]]] = {
    S.PLACED: {
        S.CONFIRMED: {SYSTEM, AGENT},
        S.AWAITING_TRANSFER: {SYSTEM},
        S.CANCELLED: {CUSTOMER, AGENT, SYSTEM},
    },
    S.CONFIRMED: {
        S.PROCESSING: {WAREHOUSE, STORE_STAFF, SYSTEM},
        S.AWAITING_TRANSFER: {SYSTEM},
        S.CANCELLED: {CUSTOMER, AGENT, SYSTEM},
    },
    S.AWAITING_TRANSFER: {
        S.PROCESSING: {SYSTEM},  # when the transfer is booked in at the pickup store
        S.CANCELLED: {AGENT, SYSTEM},
    },
    S.PROCESSING: {
        S.READY_FOR_PICKUP: {STORE_STAFF},
        S.SHIPPED: {WAREHOUSE, STORE_STAFF},
        # A short pick re-routed to another location: the order waits for the transfer again.
        S.AWAITING_TRANSFER: {SYSTEM},
        # Store staff cancel only through a short pick that leaves no unit any location has.
        S.CANCELLED: {AGENT, STORE_STAFF},
    },
    S.READY_FOR_PICKUP: {
        S.COMPLETED: {STORE_STAFF},
        S.CANCELLED: {AGENT, SYSTEM},
    },
    S.SHIPPED: {
        S.COMPLETED: {SYSTEM, AGENT},
    },
    S.COMPLETED: {},
    S.CANCELLED: {},
}


# Statuses that exist for one way of fulfilling only: a parcel is shipped, a pickup waits in its
# store (click & collect and reserve-online-try-in-store alike).
DELIVERY_ONLY = {S.SHIPPED}
PICKUP_ONLY = {S.READY_FOR_PICKUP}


def fits_fulfilment(to: str, fulfilment_type: str) -> bool:
    if fulfilment_type == Order.FulfilmentType.DELIVERY:
        return to not in PICKUP_ONLY
    return to not in DELIVERY_ONLY


def allowed_targets(status: str, role: str, fulfilment_type: str) -> list[str]:
    """The statuses ``role`` may move an order in ``status`` to."""
    return [
        to
        for to, roles in TRANSITIONS.get(status, {}).items()
        if role in roles and fits_fulfilment(to, fulfilment_type)
    ]

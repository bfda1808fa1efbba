"""A delivery's parcels and a click & collect order's transfers. A parcel leaves its location
with a carrier and tracking number (``fulfilment_ship``), the customer told per parcel; the
order is shipped when the last one left. For click & collect the source location ships the goods
to the pickup store, which books them in. A cancelled order's fulfilments are undone by its
cancellation (``order_transition``); a transfer already in transit still lands in the store's stock."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Allocation, Transfer
from inventory.selectors import location_ids_of_staff
from inventory.services import (
    StockLine,
    stock_allocate_arrived,
    stock_fulfil,
    transfer_receive,
    transfer_ship,
)

from .. import lifecycle
from ..events import OrderEventType
from ..exceptions import InvalidTransition, NotYourStore
from ..models import Fulfilment, FulfilmentLine, Order
from ..notices import shipment_notify
from .transitions import order_event_build, order_event_record, order_transition


def _fulfilment_locked(fulfilment: Fulfilment) -> Fulfilment:
    # The order row first, as order_transition does: a cancellation and a transfer step of the
    # same order then wait for each other instead of each holding a row the other needs.
    list(
        Order.objects.select_for_update(of=("self",)).filter(fulfilments__pk=fulfilment.pk).values_list("pk", flat=True)
    )
    # Only the fulfilment row is locked: its transfer is an outer join PostgreSQL cannot lock.
    qs = Fulfilment.objects.select_for_update(of=("self",)).select_related("order", "transfer")
    return qs.get(pk=fulfilment.pk)


def fulfilment_ship(*, fulfilment: Fulfilment, carrier: str, tracking_number: str, actor=None) -> Fulfilment:
    """One parcel of a delivery in processing leaves its location with ``carrier`` and
    ``tracking_number``: its allocations become sales, the fulfilment is done, the order's
    timeline names the parcel and the customer is told (one notice per parcel). The last parcel
    to leave ships the order (``order.shipped``). Raises ``InvalidTransition`` for a pickup
    order, an order not in processing or a parcel already shipped or cancelled."""
    carrier, tracking_number = str(carrier or "").strip()[:50], str(tracking_number or "").strip()[:100]
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        order = fulfilment.order
        if order.fulfilment_type != Order.FulfilmentType.DELIVERY or order.status != Order.Status.PROCESSING:
            raise InvalidTransition(
                _("Order %(number)s is not a delivery in processing: its parcels are not shipped.")
                % {"number": order.number}
            )
        if fulfilment.status != Fulfilment.Status.PENDING or fulfilment.shipped_at is not None:
            raise InvalidTransition(_("This parcel was already shipped or cancelled."))
        if not carrier or not tracking_number:
            raise InvalidTransition(_("A parcel is shipped with its carrier and tracking number."))
        allocations = list(
            Allocation.objects.filter(fulfilment_line__fulfilment=fulfilment, status=Allocation.Status.OPEN)
        )
        if allocations:
            stock_fulfil(allocations=allocations, actor=actor, reference=f"order:{order.number}")
        fulfilment.carrier, fulfilment.tracking_number = carrier, tracking_number
        fulfilment.status, fulfilment.shipped_at = Fulfilment.Status.DONE, timezone.now()
        fulfilment.save(update_fields=["carrier", "tracking_number", "status", "shipped_at"])
        order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.SHIPMENT_SENT,
                    actor=actor,
                    note=f"{carrier} {tracking_number}",
                    payload={"fulfilment": fulfilment.pk, "carrier": carrier, "tracking_number": tracking_number},
                )
            ]
        )
        shipment_notify(order, fulfilment)
        others = Fulfilment.objects.filter(order=order, status=Fulfilment.Status.PENDING).exclude(pk=fulfilment.pk)
        if not others.exists():
            order_transition(order=order, to=Order.Status.SHIPPED, role=lifecycle.WAREHOUSE, actor=actor)
    return fulfilment


def fulfilment_picking_start(*, fulfilment: Fulfilment, actor) -> Fulfilment:
    """A store starts picking the parcel it ships for a confirmed delivery (ship-from-store): the
    order moves to processing, as when the warehouse starts on it. Raises ``NotYourStore`` when
    ``actor`` does not work at the parcel's store, ``InvalidTransition`` for a pickup order, a
    parcel not pending or an order that is not confirmed."""
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        order = fulfilment.order
        if not getattr(actor, "is_superuser", False) and fulfilment.location_id not in location_ids_of_staff(
            user=actor
        ):
            raise NotYourStore(_("This parcel is shipped from a store you do not work at."))
        if order.fulfilment_type != Order.FulfilmentType.DELIVERY or fulfilment.status != Fulfilment.Status.PENDING:
            raise InvalidTransition(_("This parcel is not waiting to be picked."))
        if order.status != Order.Status.CONFIRMED:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s: only a confirmed order is picked.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=actor)
    return fulfilment


def fulfilment_transfer_ship(*, fulfilment: Fulfilment, actor=None) -> Fulfilment:
    """The source location sends a click & collect fulfilment's goods to the pickup store:
    its allocations there are consumed by the transfer (TRANSFER_OUT in the ledger)."""
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        if fulfilment.transfer is None or fulfilment.status != Fulfilment.Status.AWAITING_TRANSFER:
            raise InvalidTransition(_("This fulfilment is not waiting for a transfer."))
        allocations = [fl.allocation for fl in fulfilment.lines.select_related("allocation")]
        transfer_ship(transfer=fulfilment.transfer, actor=actor, allocations=allocations)
        order_event_record(
            events=[
                order_event_build(
                    fulfilment.order,
                    type=OrderEventType.TRANSFER_SHIPPED,
                    actor=actor,
                    payload={"transfer": fulfilment.transfer_id},
                )
            ]
        )
    return fulfilment


def fulfilment_transfer_receive(*, fulfilment: Fulfilment, actor=None) -> Fulfilment:
    """The pickup store receives the transfer: the goods are allocated to the order in the store
    (TRANSFER_IN, then an allocation there, whatever the store's safety stock or other carts'
    holds: ``stock_allocate_arrived``), and when no other transfer of the order is still to come
    the order moves on to processing. For a cancelled order the goods only land in the store's
    stock."""
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        order = fulfilment.order
        transfer = fulfilment.transfer
        cancelled = fulfilment.status == Fulfilment.Status.CANCELLED
        in_transit = transfer is not None and transfer.status == Transfer.Status.IN_TRANSIT
        waiting = fulfilment.status == Fulfilment.Status.AWAITING_TRANSFER
        if transfer is None or not (waiting or (cancelled and in_transit)):
            raise InvalidTransition(_("This fulfilment is not waiting for a transfer."))
        if not in_transit:
            raise InvalidTransition(_("The transfer has not been shipped yet."))
        transfer_receive(transfer=transfer, actor=actor)
        if cancelled:
            order_event_record(
                events=[
                    order_event_build(
                        order,
                        type=OrderEventType.TRANSFER_RECEIVED,
                        actor=actor,
                        note=_("The order is cancelled: the goods stay in the store's stock."),
                        payload={"transfer": transfer.pk},
                    )
                ]
            )
            return fulfilment
        lines = list(fulfilment.lines.select_related("allocation").order_by("id"))
        # The units came for this order: the store's safety stock and other carts' holds there
        # do not keep them from it (they would leave the order waiting for ever).
        new_allocations = stock_allocate_arrived(
            lines=[StockLine(fl.allocation.variant_id, order.pickup_location_id, fl.quantity) for fl in lines],
            reference=f"order:{order.number}",
        )
        for line, allocation in zip(lines, new_allocations, strict=True):
            line.allocation = allocation
        FulfilmentLine.objects.bulk_update(lines, ["allocation"])
        fulfilment.location_id = order.pickup_location_id
        fulfilment.status = Fulfilment.Status.PENDING
        fulfilment.save(update_fields=["location", "status"])
        order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.TRANSFER_RECEIVED,
                    actor=actor,
                    payload={"transfer": fulfilment.transfer_id},
                )
            ]
        )
        waiting = Fulfilment.objects.filter(order=order, status=Fulfilment.Status.AWAITING_TRANSFER).exists()
        if not waiting and order.status == Order.Status.AWAITING_TRANSFER:
            order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.SYSTEM, actor=actor)
    return fulfilment

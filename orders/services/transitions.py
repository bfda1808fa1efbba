"""The order kernel: the state machine's engine (``order_transition``, on the rules in
``orders.lifecycle``) and the one way an order event and its outbox row are written
(``order_event_record``). Payments, fulfilments, pickup and checkout build on it."""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Allocation, Transfer
from inventory.services import stock_fulfil, stock_release, transfer_cancel
from omnishop.outbox.services import OutboxMessage, outbox_emit_many
from omnishop.vocabulary import PaymentMethod

from .. import lifecycle
from ..events import OrderEventType, order_status_message
from ..exceptions import InvalidTransition, TransitionNotAllowed
from ..models import Fulfilment, Order, OrderEvent
from ..notices import Notice, order_notify, shipment_notify
from .rewards import order_rewards_return


def order_number_new() -> tuple[str, RawSQL]:
    """A new order's number, written with its row (no second statement renames it): the
    prefix of this year (``OMNISHOP_ORDER_NUMBER_PREFIX``) and the column value that adds the id
    the INSERT takes, zero-padded to 7 digits. PostgreSQL evaluates a row's values in column
    order, the id (its sequence's ``nextval``) first, so ``currval`` is that id. The number then
    reads ``f"{prefix}{order.pk:07d}"``."""
    prefix = f"{settings.OMNISHOP_ORDER_NUMBER_PREFIX}-{timezone.localdate():%Y}-"
    current = f"currval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'))::text"
    return prefix, RawSQL(f"%s || lpad({current}, greatest(7, length({current})), '0')", [prefix])  # noqa: S611 (no input in the SQL)


def actor_user(actor):
    """The login to record for an actor (None for anonymous requests and the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def order_event_build(
    order: Order, *, type: str, actor=None, from_status="", to_status="", note="", payload=None
) -> OrderEvent:
    """An unsaved timeline entry of ``order``; ``order_event_record`` writes it."""
    return OrderEvent(
        order=order,
        type=type,
        from_status=from_status,
        to_status=to_status,
        actor=actor_user(actor),
        channel=order.channel,
        note=note,
        payload=payload or {},
    )


def order_event_record(*, events: list[OrderEvent] = (), messages: list[OutboxMessage] = ()) -> list[OrderEvent]:
    """Write order events (for people) and their outbox rows (for machines) in the caller's
    transaction, so both exist if and only if the change does. One insert per kind of row."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order_event_record must be called inside transaction.atomic()")
    events = list(events)
    if len(events) == 1:
        events[0].save()
    elif events:
        events = OrderEvent.objects.bulk_create(events)
    if messages:
        outbox_emit_many(events=list(messages))
    return events


def payment_refund_due(order: Order) -> bool:
    """A cancelled order whose payment was taken: its money goes back. Paying in the store is
    never refunded here: nothing is taken before the hand-over, which completes the order; nor is
    a marketplace's sale: its buyer paid the marketplace, which gives the money back."""
    return (
        order.status == Order.Status.CANCELLED
        and order.payment_status == Order.PaymentStatus.PAID
        and order.payment_method not in (PaymentMethod.PAY_IN_STORE, PaymentMethod.MARKETPLACE)
        # Paid whole by gift card or store credit: nothing was charged (loyalty gives those back).
        and order.amount_due > 0
    )


def payment_refund_queue(order_id: int) -> None:
    """After commit: the refund task for a cancelled order's payment (``order_payment_refund``)."""
    from ..tasks import order_payment_refund_task

    order_payment_refund_task.delay(order_id)


def order_transition(*, order: Order, to: str, role: str, actor=None, note: str = "", notify: bool = True) -> Order:
    """Move an order to ``to`` if the state machine allows it for ``role``; cancelling
    releases its allocations, shipping or completing turns them into sales. Writes an
    OrderEvent and an outbox row. With ``notify`` the customer is told of a cancellation and
    of each parcel not yet announced by ``fulfilment_ship`` (callers with a notice of their
    own, a payment decline or an expired pickup, pass False).
    Raises ``InvalidTransition`` / ``TransitionNotAllowed``."""
    with transaction.atomic():
        # The order row only: a plain select_for_update() would lock the joined channel row too,
        # serialising every transition of a channel and deadlocking with stock locks.
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
        allowed = lifecycle.TRANSITIONS.get(order.status, {})
        if to not in allowed:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s and cannot become %(to)s.")
                % {"number": order.number, "status": order.get_status_display(), "to": Order.Status(to).label}
            )
        if not lifecycle.fits_fulfilment(to, order.fulfilment_type):
            message = (
                _("Order %(number)s is collected in a store: it becomes ready for pickup, it is not shipped.")
                if order.fulfilment_type != Order.FulfilmentType.DELIVERY
                else _("Order %(number)s is delivered: it is shipped, it is not ready for pickup in a store.")
            )
            raise InvalidTransition(message % {"number": order.number})
        if role not in allowed[to]:
            raise TransitionNotAllowed(
                _("A %(role)s may not move order %(number)s to %(to)s.")
                % {"role": role, "number": order.number, "to": Order.Status(to).label}
            )
        announce: list[Fulfilment] = []
        if to == Order.Status.CANCELLED:
            _fulfilments_cancel(order, actor=actor)
            order_rewards_return(order=order, actor=actor_user(actor))
        elif to == Order.Status.SHIPPED:
            announce = _parcels_unannounced(order)
        if to in (Order.Status.SHIPPED, Order.Status.COMPLETED):
            open_allocations = _open_allocations(order)
            if open_allocations:
                stock_fulfil(allocations=open_allocations, actor=actor, reference=f"order:{order.number}")
                Fulfilment.objects.filter(order=order).update(status=Fulfilment.Status.DONE)
        previous = order.status
        order.status = to
        fields = ["status", "updated_at"]
        if order.pickup_code and to != Order.Status.READY_FOR_PICKUP:
            order.pickup_code, order.pickup_attempts = "", 0  # the code only works while the goods wait
            fields += ["pickup_code", "pickup_attempts"]
        if order.pickup_expires_at and to != Order.Status.READY_FOR_PICKUP:
            order.pickup_expires_at = None  # so is the deadline
            fields.append("pickup_expires_at")
        order.save(update_fields=fields)
        if payment_refund_due(order):
            transaction.on_commit(partial(payment_refund_queue, order.pk))
        order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.STATUS_CHANGED,
                    actor=actor,
                    from_status=previous,
                    to_status=to,
                    note=note,
                    payload={"role": role},
                )
            ],
            messages=[order_status_message(order=order, from_status=previous, to_status=to)],
        )
        if notify and to == Order.Status.CANCELLED:
            order_notify(order, Notice.ORDER_CANCELLED, refund_due=payment_refund_due(order))
        if notify:
            for fulfilment in announce:
                shipment_notify(order, fulfilment)
    return order


def _parcels_unannounced(order: Order) -> list[Fulfilment]:
    """The parcels of an order being shipped that ``fulfilment_ship`` did not send with a
    tracking number: they leave now (``shipped_at``), each told to the customer."""
    parcels = list(
        Fulfilment.objects.filter(order=order, shipped_at__isnull=True)
        .exclude(status=Fulfilment.Status.CANCELLED)
        .order_by("pk")
    )
    if parcels:
        now = timezone.now()
        Fulfilment.objects.filter(pk__in=[f.pk for f in parcels]).update(shipped_at=now)
        for parcel in parcels:
            parcel.shipped_at = now
    return parcels


def order_cancel(*, order: Order, role: str, actor=None, note: str = "") -> Order:
    """Cancel ``order`` through ``order_transition`` (see there for what cancelling undoes)."""
    return order_transition(order=order, to=Order.Status.CANCELLED, role=role, actor=actor, note=note)


def system_may_cancel(order: Order) -> bool:
    """The state machine lets the system cancel ``order`` in its current status."""
    return lifecycle.SYSTEM in lifecycle.TRANSITIONS.get(order.status, {}).get(Order.Status.CANCELLED, set())


def _open_allocations(order: Order) -> list[Allocation]:
    return list(Allocation.objects.filter(fulfilment_line__fulfilment__order=order, status=Allocation.Status.OPEN))


def _fulfilments_cancel(order: Order, *, actor=None) -> None:
    """A cancelled order's fulfilments (the order row is locked): transfers not yet shipped are
    called off, open allocations released, and every fulfilment not done is marked cancelled,
    whether or not it held an allocation. A transfer already in transit still arrives, and
    ``fulfilment_transfer_receive`` then only lands the goods in the store's stock."""
    # Fulfilments, then transfers, then allocations and stock rows: the order the transfer steps lock in.
    fulfilments = list(
        Fulfilment.objects.select_for_update(of=("self",))
        .select_related("transfer")
        .filter(order=order)
        .exclude(status__in=[Fulfilment.Status.DONE, Fulfilment.Status.CANCELLED])
        .order_by("pk")
    )
    for fulfilment in fulfilments:
        transfer = fulfilment.transfer
        if transfer is not None and transfer.status == Transfer.Status.REQUESTED:
            transfer_cancel(transfer=transfer, actor=actor_user(actor))
    open_allocations = _open_allocations(order)
    if open_allocations:
        stock_release(allocations=open_allocations, actor=actor)
    if fulfilments:
        Fulfilment.objects.filter(pk__in=[f.pk for f in fulfilments]).update(status=Fulfilment.Status.CANCELLED)

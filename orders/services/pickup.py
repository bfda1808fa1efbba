"""The store's part of a pickup order (click & collect, ROPIS): start picking, ready for pickup
with a pickup code for the customer, the code's checks (``orders.services.handover`` hands the
order over against it), expiry and reminders. Store staff act only
on the orders of the stores they work at (``Location.staff``).

The code reaches the customer in their order (web shop and app) and in the "ready for pickup"
notice (e-mail with a QR code, or SMS; guests too), which reads it from the order at send time;
the outbox event ``order.pickup_code_issued`` says a code was issued, without it. Staff never
see it. After MAX_PICKUP_ATTEMPTS wrong codes the code is replaced by a new one, sent the same
way, so guessing at the counter does not work. The deadline is the end of the store's N-th open
day (its ``pickup_hold_days``, counted by its opening hours, ``inventory.opening_hours``); the
customer is reminded once its ``pickup_reminder_days`` open days before (``pickup_reminders_send``);
not collected by then, they are told it expired. Staff may send the ready notice again."""

import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.opening_hours import pickup_deadline, pickup_reminder_time
from inventory.selectors import location_ids_of_staff

from .. import lifecycle
from ..events import OrderEventType, pickup_code_issued_message
from ..exceptions import InvalidTransition, NotYourStore, WrongPickupCode
from ..models import Order
from ..notices import Notice, order_notify
from .transitions import order_event_build, order_event_record, order_transition, payment_refund_due

MAX_PICKUP_ATTEMPTS = 5


def pickup_hold_days(fulfilment_type: str, location=None) -> int:
    """Open days a pickup order waits in the store once ready: the store's own setting for click
    & collect (the OMNISHOP_PICKUP_HOLD_DAYS setting without a store); a reserve & try (ROPIS)
    reservation keeps clothes off the rail, so it waits OMNISHOP_ROPIS_HOLD_DAYS."""
    if fulfilment_type == Order.FulfilmentType.ROPIS:
        return settings.OMNISHOP_ROPIS_HOLD_DAYS
    if location is not None:
        return location.pickup_hold_days
    return settings.OMNISHOP_PICKUP_HOLD_DAYS


def pickup_dates(order: Order, *, now) -> tuple:
    """(collect by, remind at) of a pickup order becoming ready at ``now`` in its store: the end
    of the store's hold-days-th open day, and its opening time reminder-days open days before
    (None when that is not after ``now``: the ready notice is fresh news then)."""
    store = order.pickup_location
    hours = store.opening_hours
    expires = pickup_deadline(hours, ready_at=now, days=pickup_hold_days(order.fulfilment_type, store))
    remind = pickup_reminder_time(hours, deadline=expires, days=store.pickup_reminder_days)
    return expires, (remind if now < remind < expires else None)


def staff_works_at_pickup_store(*, user, order: Order) -> bool:
    """``user`` may handle ``order`` in the store: they work at its pickup store (superusers
    may act anywhere)."""
    if getattr(user, "is_superuser", False):
        return True
    return order.pickup_location_id is not None and order.pickup_location_id in location_ids_of_staff(user=user)


def pickup_store_check(order: Order, actor) -> None:
    if order.fulfilment_type == Order.FulfilmentType.DELIVERY or order.pickup_location_id is None:
        message = _("Order %(number)s is delivered, not collected in a store.")
        raise InvalidTransition(message % {"number": order.number})
    if not staff_works_at_pickup_store(user=actor, order=order):
        raise NotYourStore(_("Order %(number)s is collected in another store than yours.") % {"number": order.number})


def _code_issue(order: Order, *, replaced: bool = False) -> None:
    """A new code on the (locked) order, the event that says so and the notice that brings it
    to the customer (which reads the code from the order when it is sent)."""
    order.pickup_code, order.pickup_attempts = f"{secrets.randbelow(10**6):06d}", 0
    Order.objects.filter(pk=order.pk).update(pickup_code=order.pickup_code, pickup_attempts=0)
    order_event_record(messages=[pickup_code_issued_message(order=order, store=order.pickup_location.code)])
    order_notify(order, Notice.PICKUP_READY, replaced=replaced)


def order_picking_start(*, order: Order, actor) -> Order:
    """The store starts picking a confirmed (paid, or paid in the store) pickup order whose goods
    are all in the store: confirmed -> processing. An order still waiting for its transfer moves
    on when the store books the transfer in."""
    pickup_store_check(order, actor)
    current = Order.objects.only("status", "number").get(pk=order.pk)
    if current.status != Order.Status.CONFIRMED:
        raise InvalidTransition(
            _("Order %(number)s is %(status)s: only a confirmed order is picked.")
            % {"number": current.number, "status": current.get_status_display()}
        )
    return order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=actor)


def order_ready_for_pickup(*, order: Order, actor) -> Order:
    """The goods wait in the store: the order becomes ready for pickup and gets the 6-digit
    code the customer shows at the hand-over, the date it must be collected by (the end of the
    store's ``pickup_hold_days``-th open day, see ``pickup_dates``), after which
    ``pickup_orders_expire`` cancels it, and the time of its reminder."""
    pickup_store_check(order, actor)
    with transaction.atomic():
        order = order_transition(order=order, to=Order.Status.READY_FOR_PICKUP, role=lifecycle.STORE_STAFF, actor=actor)
        order.pickup_expires_at, order.pickup_remind_at = pickup_dates(order, now=timezone.now())
        order.pickup_reminded_at = None
        Order.objects.filter(pk=order.pk).update(
            pickup_expires_at=order.pickup_expires_at, pickup_remind_at=order.pickup_remind_at, pickup_reminded_at=None
        )
        _code_issue(order)  # the row order_transition locked and returned: the code is set on it
    return order


def order_pickup_notice_resend(*, order: Order, actor) -> Order:
    """Send the customer the "ready for pickup" notice again, with the same code (the notice
    reads it from the order at send time) and the same collect-by date; the timeline says who
    asked. Only for an order ready for pickup in a store the actor works at. Raises
    ``InvalidTransition`` (not ready, or not a pickup order) and ``NotYourStore``."""
    pickup_store_check(order, actor)
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",)).select_related("pickup_location", "channel").get(pk=order.pk)
        )
        if locked.status != Order.Status.READY_FOR_PICKUP or not locked.pickup_code:
            raise InvalidTransition(
                _("Order %(number)s is not ready for pickup: there is no notice to send again.")
                % {"number": locked.number}
            )
        order_event_record(
            events=[
                order_event_build(
                    locked,
                    type=OrderEventType.PICKUP_NOTICE_RESENT,
                    actor=actor,
                    payload={"version": 1, "store": locked.pickup_location.code},
                )
            ]
        )
        order_notify(locked, Notice.PICKUP_READY, resent=True)
    return locked


def pickup_code_matches(order: Order, code: str) -> bool:
    """``code`` (spaces around it ignored) is the order's pickup code, compared in constant time."""
    given = str(code or "").strip()
    return bool(order.pickup_code) and hmac.compare_digest(given.encode(), order.pickup_code.encode())


def pickup_attempt_fail(order: Order, *, actor, note: str = "") -> bool:
    """Count a wrong pickup code (or a failed customer check) on the locked ``order``, in the
    caller's transaction, which must commit before the caller raises: the MAX_PICKUP_ATTEMPTS-th
    replaces the code with a new one, sent to the customer. Returns whether it was replaced."""
    order.pickup_attempts += 1
    attempt = order.pickup_attempts
    replaced = attempt >= MAX_PICKUP_ATTEMPTS
    # The trail names the attempt, never a code (neither the one tried nor the right one).
    events = [
        order_event_build(
            order,
            type=OrderEventType.PICKUP_CODE_WRONG,
            actor=actor,
            note=note
            or _("Wrong pickup code (attempt %(attempt)d of %(max)d).")
            % {"attempt": attempt, "max": MAX_PICKUP_ATTEMPTS},
            payload={"attempt": attempt, "max_attempts": MAX_PICKUP_ATTEMPTS},
        )
    ]
    if replaced:
        _code_issue(order, replaced=True)
        events.append(
            order_event_build(
                order,
                type=OrderEventType.PICKUP_CODE_REPLACED,
                actor=actor,
                note=_("Too many wrong pickup codes: the customer got a new code."),
                payload={"wrong_attempts": attempt},
            )
        )
    else:
        Order.objects.filter(pk=order.pk).update(pickup_attempts=attempt)
    order_event_record(events=events)
    return replaced


def wrong_pickup_code(order: Order, *, replaced: bool) -> WrongPickupCode:
    """The error a wrong code raises (after ``pickup_attempt_fail`` committed)."""
    detail = (
        _("Too many wrong pickup codes for order %(number)s: the customer gets a new code.")
        if replaced
        else _("The pickup code does not match order %(number)s.")
    )
    return WrongPickupCode(detail % {"number": order.number}, errors={"code": [_("The pickup code does not match.")]})


PICKUPS_EXPIRE_BATCH = 100  # orders read per query; each is cancelled in its own transaction


def pickup_orders_expire(*, now=None) -> int:
    """Cancel the pickup orders not collected by their ``pickup_expires_at``, as the system,
    through the order lifecycle: allocations released, an order event and an ``order.cancelled``
    outbox row (from which the customer is told). One short transaction per order, so one
    store's backlog never holds many stock rows at once; an order handed over or cancelled
    meanwhile is left as it is. Returns how many orders were cancelled."""
    now = now or timezone.now()
    cancelled = 0
    after = 0
    while True:
        batch = list(
            Order.objects.filter(status=Order.Status.READY_FOR_PICKUP, pickup_expires_at__lte=now, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:PICKUPS_EXPIRE_BATCH]
        )
        for pk in batch:
            with transaction.atomic():
                order = Order.objects.select_for_update(of=("self",)).get(pk=pk)
                deadline = order.pickup_expires_at
                if order.status != Order.Status.READY_FOR_PICKUP or deadline is None or deadline > now:
                    continue
                order = order_transition(
                    order=order,
                    to=Order.Status.CANCELLED,
                    role=lifecycle.SYSTEM,
                    note=_("Not collected by %(deadline)s.")
                    % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
                    notify=False,  # the expiry notice says it
                )
                order_notify(
                    order, Notice.PICKUP_EXPIRED, expired_at=deadline.isoformat(), refund_due=payment_refund_due(order)
                )
            cancelled += 1
        if len(batch) < PICKUPS_EXPIRE_BATCH:
            return cancelled
        after = batch[-1]


def pickup_reminders_send(*, now=None) -> int:
    """Remind once the customers whose pickup order waits in the store and whose reminder time
    (``pickup_remind_at``, set when it became ready) has come, before its deadline
    (``pickup_reminded_at`` is set in the same transaction as the notice, with the order row
    locked, so two beat runs never both remind). One short transaction per order.
    Returns how many were reminded."""
    now = now or timezone.now()
    reminded = 0
    after = 0
    while True:
        batch = list(
            Order.objects.filter(
                status=Order.Status.READY_FOR_PICKUP,
                pickup_reminded_at__isnull=True,
                pickup_remind_at__lte=now,
                pickup_expires_at__gt=now,
                pk__gt=after,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:PICKUPS_EXPIRE_BATCH]
        )
        for pk in batch:
            with transaction.atomic():
                order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=pk)
                if order.status != Order.Status.READY_FOR_PICKUP or order.pickup_reminded_at is not None:
                    continue
                order.pickup_reminded_at = now
                Order.objects.filter(pk=pk).update(pickup_reminded_at=now)
                order_event_record(events=[order_event_build(order, type=OrderEventType.PICKUP_REMINDER_SENT)])
                order_notify(order, Notice.PICKUP_REMINDER)
            reminded += 1
        if len(batch) < PICKUPS_EXPIRE_BATCH:
            return reminded
        after = batch[-1]

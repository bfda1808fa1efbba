"""At the store's counter: finding the order a customer comes for, by its pickup code (what the QR
carries) or by its number with the customer's surname and the last digits of their phone, and
whether it can be handed over now. ``handover`` builds on it."""

import re
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.selectors import location_ids_of_staff

from ..exceptions import (
    AlreadyHandedOver,
    CustomerCheckFailed,
    InvalidHandOver,
    InvalidTransition,
    PickupCodeAmbiguous,
    PickupExpired,
    PickupNotFound,
)
from ..models import Order
from .pickup import pickup_attempt_fail

PHONE_DIGITS_MIN = 3


def folded(text: str) -> str:
    text = str(text or "").replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold().strip()


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", str(text or ""))


def customer_name_of(order: Order) -> str:
    if order.customer_id and (order.customer.first_name or order.customer.last_name):
        return f"{order.customer.first_name} {order.customer.last_name}".strip()
    return order.contact_name


def phones_of(order: Order) -> list[str]:
    phones = [order.phone, order.customer.phone if order.customer_id else ""]
    return [d for d in (digits_only(p) for p in phones) if d]


def customer_check_passes(order: Order, *, surname: str, phone_digits: str) -> bool:
    """The surname (diacritics and case ignored) is the customer's or one of the contact name's
    words, and the digits (at least PHONE_DIGITS_MIN) end the order's or the customer's phone."""
    given, digits = folded(surname), digits_only(phone_digits)
    if not given or len(digits) < PHONE_DIGITS_MIN:
        return False
    names = {folded(w) for w in re.split(r"[\s]+", order.contact_name or "") if w}
    if order.customer_id:
        names.add(folded(order.customer.last_name))
    return given in names - {""} and any(phone.endswith(digits) for phone in phones_of(order))


def _in_stores_of(actor):
    orders = Order.objects.select_related("customer", "pickup_location", "channel")
    if getattr(actor, "is_superuser", False):
        return orders.exclude(pickup_location__isnull=True)
    return orders.filter(pickup_location_id__in=location_ids_of_staff(user=actor))


def handover_ready_check(order: Order) -> None:
    """Raise why ``order`` cannot be handed over now (its row read under the caller's lock)."""
    if order.status == Order.Status.COMPLETED:
        raise AlreadyHandedOver(_("Order %(number)s was already handed over.") % {"number": order.number})
    if order.status != Order.Status.READY_FOR_PICKUP:
        raise InvalidTransition(
            _("Order %(number)s is %(status)s, not ready for pickup.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    if order.pickup_expires_at is not None and order.pickup_expires_at <= timezone.now():
        raise PickupExpired(
            _("Order %(number)s had to be collected by %(deadline)s.")
            % {
                "number": order.number,
                "deadline": timezone.localtime(order.pickup_expires_at).strftime("%Y-%m-%d %H:%M"),
            }
        )


def pickup_order_find(*, actor, code: str = "", number: str = "", surname: str = "", phone_digits: str = "") -> Order:
    """The order waiting in one of ``actor``'s stores: by its pickup ``code`` (what the QR carries),
    or by ``number`` with the customer's ``surname`` and the last ``phone_digits``. A failed
    customer check counts as a wrong code on that order (the same limit replaces the code), so
    the digits cannot be guessed; another store's order is not found (``PickupNotFound``).
    Raises ``PickupNotFound``, ``PickupCodeAmbiguous``, ``CustomerCheckFailed``,
    ``AlreadyHandedOver``, ``PickupExpired``, ``InvalidTransition``, ``InvalidHandOver``."""
    code, number = str(code or "").strip(), str(number or "").strip()
    if code:
        found = list(_in_stores_of(actor).filter(status=Order.Status.READY_FOR_PICKUP, pickup_code=code)[:2])
        if not found:
            raise PickupNotFound(_("No order waits in your store under this pickup code."))
        if len(found) > 1:
            raise PickupCodeAmbiguous()
        handover_ready_check(found[0])
        return found[0]
    if not number:
        raise InvalidHandOver(errors={"code": [_("Scan or type the pickup code, or give the order number.")]})
    order = _in_stores_of(actor).filter(number__iexact=number).first()
    if order is None:
        raise PickupNotFound(_("No order %(number)s waits in your store.") % {"number": number})
    handover_ready_check(order)
    if not customer_check_passes(order, surname=surname, phone_digits=phone_digits):
        _customer_check_fail(order, actor=actor)
    return order


def _customer_check_fail(order: Order, *, actor) -> None:
    """Count the failed check on the order (committed), then raise ``CustomerCheckFailed``."""
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",)).select_related("channel", "pickup_location").get(pk=order.pk)
        )
        pickup_attempt_fail(locked, actor=actor, note=_("The surname or the phone digits did not match."))
    raise CustomerCheckFailed(
        errors={"surname": [_("Check the surname.")], "phone_digits": [_("Check the last digits of the phone.")]}
    )

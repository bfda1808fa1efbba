"""Carts: one active cart per customer shared by web and app; anonymous carts by token that
merge into the customer's cart on login; lines checked against the catalog and stock."""

import hashlib
import hmac
import uuid
from collections.abc import Collection
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Channel, Variant
from inventory.exceptions import InsufficientStock
from inventory.models import StockHold
from inventory.selectors import stock_levels_with_availability
from inventory.services import StockLine, stock_hold_place, stock_holds_release
from loyalty.pricing import cart_lines_sellable

from ..exceptions import CartNotActive
from ..models import Cart, CartLine

# The most units one cart line may carry (the cart API's limit), merges included.
CART_LINE_MAX_QUANTITY = 999


def cart_for_customer(*, customer, channel: Channel) -> Cart:
    """The customer's active cart (created when missing). Web and app share it."""
    cart = Cart.objects.filter(customer=customer, status=Cart.Status.ACTIVE).first()
    if cart is not None:
        if cart.channel_id != channel.pk:
            Cart.objects.filter(pk=cart.pk).update(channel=channel)
            cart.channel = channel
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(customer=customer, channel=channel)
    except IntegrityError:  # created concurrently (two devices at once)
        return Cart.objects.get(customer=customer, status=Cart.Status.ACTIVE)


def cart_for_token(*, token, channel: Channel) -> Cart | None:
    """An anonymous active cart by its token, or None."""
    return Cart.objects.filter(token=token, customer__isnull=True, status=Cart.Status.ACTIVE).first()


def _token_mac(head: bytes) -> bytes:
    mac = bytearray(hmac.new(settings.SECRET_KEY.encode(), b"omnishop.cart-token:" + head, hashlib.sha256).digest()[:8])
    mac[0] = (mac[0] & 0x3F) | 0x80  # the UUID variant bits
    return bytes(mac)


def cart_token_new() -> uuid.UUID:
    """A token for a cart that does not exist yet: a UUID whose second half is a MAC of its
    first, so the cart is created on its first line under a token only this server issued."""
    head = uuid.uuid4().bytes[:8]
    return uuid.UUID(bytes=head + _token_mac(head))


def cart_token_issued(token) -> bool:
    """Whether ``token`` (a UUID or its text) came from ``cart_token_new``."""
    try:
        raw = token.bytes if isinstance(token, uuid.UUID) else uuid.UUID(str(token)).bytes
    except ValueError:
        return False
    return hmac.compare_digest(raw[8:], _token_mac(raw[:8]))


def cart_token_used(token) -> bool:
    """Whether some cart (active or not) already has ``token``."""
    return Cart.objects.filter(token=token).exists()


def cart_create_anonymous(*, channel: Channel, token=None) -> Cart:
    """A new anonymous cart, under ``token`` when given (one from ``cart_token_new``: the
    cart is created on its first line). Two first lines at once under one token get one cart."""
    if token is None:
        return Cart.objects.create(channel=channel)
    try:
        with transaction.atomic():
            return Cart.objects.create(channel=channel, token=token)
    except IntegrityError:  # the same token's first line, concurrently; or an old cart's token
        return Cart.objects.get(token=token, customer__isnull=True)


def cart_delete(*, cart: Cart, actor=None) -> None:
    """Delete a cart and release its stock holds, in one transaction with the cart row locked
    (a line change or checkout of it waits, then finds it gone)."""
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
        if locked is None:
            return
        stock_holds_release(reference=locked.hold_reference)
        locked.delete()


def anonymous_carts_purge(*, days: int | None = None, batch: int = 500) -> int:
    """Delete the anonymous carts (any status) untouched for ``days`` days (default
    ``OMNISHOP_ANONYMOUS_CART_DAYS``) through ``cart_delete``, so their holds go with them;
    customers' carts stay. Returns how many went."""
    days = settings.OMNISHOP_ANONYMOUS_CART_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        stale = list(Cart.objects.filter(customer__isnull=True, updated_at__lt=cutoff).order_by("pk")[:batch])
        for cart in stale:
            cart_delete(cart=cart)
        deleted += len(stale)
        if len(stale) < batch:
            return deleted


def _available_at(variant_ids, *, cart: Cart, replacing: Collection[str] = ()) -> list[tuple[int, int, int]]:
    """(variant, location, units available online) where some are, at active locations: the
    cart's own holds, and those of the carts whose holds it replaces, not counted against it."""
    rows = stock_levels_with_availability(
        online=True, exclude_hold_references=[cart.hold_reference, *replacing]
    ).filter(variant_id__in=list(variant_ids), location__is_active=True, available__gt=0)
    return list(rows.values_list("variant_id", "location_id", "available"))


def _online_available(variant_ids, *, cart: Cart, replacing: Collection[str] = ()) -> dict[int, int]:
    """Units of each variant available online, the cart's own holds (and those of ``replacing``)
    not counted against it; variants with nothing available are absent."""
    total: dict[int, int] = {}
    for variant_id, _location_id, available in _available_at(variant_ids, cart=cart, replacing=replacing):
        total[variant_id] = total.get(variant_id, 0) + available
    return total


def _not_active(cart: Cart) -> CartNotActive:
    return CartNotActive(
        _("The cart was already checked out or merged into another cart: its lines can no longer change."),
        errors={"cart": [_("This cart is %(status)s.") % {"status": cart.get_status_display()}]},
    )


def cart_line_set(*, cart: Cart, variant: Variant, quantity: int) -> Cart:
    """Set a line's quantity (0 removes it). The variant must be sellable in the cart's channel
    and available online in that quantity. The cart row is locked, so a checkout or a merge of
    the cart waits for this change or is waited for; raises ``CartNotActive`` when the cart was
    checked out or merged meanwhile (the line would be lost), ``NotSellable`` / ``InsufficientStock``."""
    if quantity < 0:
        raise ValidationError({"quantity": [_("The quantity cannot be negative.")]})
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        if cart.status != Cart.Status.ACTIVE:
            raise _not_active(cart)
        if quantity == 0:
            CartLine.objects.filter(cart=cart, variant=variant).delete()
        else:
            cart_lines_sellable(lines={variant.pk: quantity}, channel=cart.channel)  # raises NotSellable
            available = _online_available([variant.pk], cart=cart).get(variant.pk, 0)
            if quantity > available:
                raise InsufficientStock(
                    _("Only %(n)d available.") % {"n": available},
                    errors={"quantity": [_("Only %(n)d available.") % {"n": available}]},
                )
            CartLine.objects.update_or_create(cart=cart, variant=variant, defaults={"quantity": quantity})
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
        _cart_holds_refresh(cart)
    return cart


def _cart_holds_refresh(cart: Cart, *, replacing: Collection[str] = ()) -> None:
    """With OMNISHOP_CART_HOLD_MINUTES > 0, the cart holds its units for that many minutes from
    the last change: each line at the locations with the most of it available (the cart's own
    holds not counted against it), split over several when no one location has the whole line.
    The holds of ``replacing`` (a merged cart's) go in the same locked step as the new ones."""
    minutes = settings.OMNISHOP_CART_HOLD_MINUTES
    if minutes <= 0:
        for reference in replacing:  # held while holds were on
            stock_holds_release(reference=reference)
        return
    lines = list(cart.lines.values_list("variant_id", "quantity"))
    if not lines and not replacing:
        stock_holds_release(reference=cart.hold_reference)
        return
    at: dict[int, list[tuple[int, int]]] = {}
    for variant_id, location_id, available in _available_at([v for v, _q in lines], cart=cart, replacing=replacing):
        at.setdefault(variant_id, []).append((available, location_id))
    holds = []
    for variant_id, quantity in lines:
        left = quantity
        for available, location_id in sorted(at.get(variant_id, []), key=lambda r: (-r[0], r[1])):
            take = min(available, left)
            holds.append(StockLine(variant_id, location_id, take))
            left -= take
            if not left:
                break
    stock_hold_place(
        lines=holds,
        kind=StockHold.Kind.CART,
        reference=cart.hold_reference,
        ttl=timedelta(minutes=minutes),
        replacing=replacing,
    )


def _merge_cut(*, wanted: int, available: int, quantity: int) -> str:
    """Why a merged line has ``quantity`` units instead of the ``wanted`` sum of both carts."""
    values = {"wanted": wanted, "available": available, "n": quantity, "max": CART_LINE_MAX_QUANTITY}
    if quantity == CART_LINE_MAX_QUANTITY and wanted > CART_LINE_MAX_QUANTITY:
        return _("The two carts had %(wanted)d units together; a line holds at most %(max)d: the line has %(n)d.") % (
            values
        )
    if quantity == 0:
        return _("The two carts had %(wanted)d units together and none is available: the line was dropped.") % values
    return _("The two carts had %(wanted)d units together and %(available)d are available: the line has %(n)d.") % (
        values
    )


def cart_merge(*, anonymous: Cart, into: Cart, capped: dict[int, list[str]] | None = None) -> Cart:
    """On login: add the anonymous cart's lines to the customer's cart. Quantities add up, to
    at most what is available online (a line with nothing left is dropped) and at most
    ``CART_LINE_MAX_QUANTITY``: the merged cart never promises more than ``cart_line_set`` would
    accept. ``capped``, when given, receives per variant id why a line got less than the sum.
    Raises ``CartNotActive`` when the customer's cart was checked out meanwhile."""
    if anonymous.pk == into.pk:
        return into
    with transaction.atomic():
        carts = {
            c.pk: c for c in Cart.objects.select_for_update().filter(pk__in=[anonymous.pk, into.pk]).order_by("pk")
        }
        anonymous, into = carts[anonymous.pk], carts[into.pk]
        if into.status != Cart.Status.ACTIVE:
            raise _not_active(into)
        if anonymous.status != Cart.Status.ACTIVE:
            return into
        # The anonymous cart's holds count for the merged cart; they are replaced by its holds in
        # one locked step: releasing them first would lock stock rows twice, out of order.
        replacing = [anonymous.hold_reference]
        existing = {ln.variant_id: ln for ln in into.lines.all()}
        added = list(anonymous.lines.all())
        available = _online_available({ln.variant_id for ln in added}, cart=into, replacing=replacing)
        for line in added:
            current = existing[line.variant_id].quantity if line.variant_id in existing else 0
            wanted = current + line.quantity
            on_hand = available.get(line.variant_id, 0)
            quantity = min(wanted, max(on_hand, current), CART_LINE_MAX_QUANTITY)
            if quantity < wanted and capped is not None:
                capped[line.variant_id] = [_merge_cut(wanted=wanted, available=on_hand, quantity=quantity)]
            if line.variant_id in existing:
                CartLine.objects.filter(pk=existing[line.variant_id].pk).update(quantity=quantity)
            elif quantity > 0:
                CartLine.objects.create(cart=into, variant_id=line.variant_id, quantity=quantity)
        anonymous.status = Cart.Status.MERGED
        anonymous.save(update_fields=["status", "updated_at"])
        _cart_holds_refresh(into, replacing=replacing)
    return into

"""Writes of coupons: redeem (an order uses a code), release (the order was cancelled), bulk
generation of personal codes and the agent's personal coupon.

A redemption locks the promotion, then the coupon (``loyalty.lock_objects``' order, in one
statement), checks every limit again under the locks, inserts the unique redemption row and
moves both counters in place (``uses = uses + 1``, one statement). The database refuses the
impossible even if a check had a bug: a second live redemption of a single-use coupon, a second
use by one order, counters below zero.
"""

import secrets
from collections import Counter
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Channel
from omnishop.history import ADDITION, admin_history_record
from omnishop.outbox.services import outbox_emit_many

from ..events import (
    CouponOutboxEvent,
    coupon_given_message,
    coupon_redemption_message,
    coupons_generated_message,
)
from ..exceptions import CouponGiveRefused, CouponInvalid, CouponUsedUp
from ..lock_objects import coupon_with_promotion_lock, coupons_lock, promotion_lock
from ..models import Coupon, CouponRedemption, Promotion
from ..promotions import (
    coupon_code_normalise,
    coupon_refusal,
    coupon_used_up,
    promotions_with_targets,
)
from ..sql_rows import insert_values

# No 0/O, 1/I/L: a code read out over the phone or typed from a receipt is never ambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_GENERATE = 100_000


def _invalid(message: str) -> CouponInvalid:
    return CouponInvalid(message, errors={"coupon_code": [message]})


def _used_up(message: str) -> CouponUsedUp:
    return CouponUsedUp(message, errors={"coupon_code": [message]})


def _channel_refusal(promotion: Promotion, channel_code: str) -> str:
    if not promotion.channel_kinds and not promotion.channel_id_list:
        return ""
    channel = Channel.objects.filter(code=channel_code).only("pk", "kind").first()
    kind_ok = not promotion.channel_kinds or (channel is not None and channel.kind in promotion.channel_kinds)
    channel_ok = not promotion.channel_id_list or (channel is not None and channel.pk in promotion.channel_id_list)
    return "" if kind_ok and channel_ok else _("This promotion is not available in this channel.")


def coupon_redeem(
    *,
    code: str,
    customer,
    channel_code: str,
    reference: str,
    amount: Decimal,
    currency: str,
    actor=None,
    tier_code: str | None = None,
    at: datetime | None = None,
    savepoint: bool = True,
) -> CouponRedemption:
    """Record that the order ``reference`` used the coupon ``code`` for ``amount`` off.

    Runs in the caller's transaction (checkout's). Idempotent: the same (coupon, reference)
    returns the redemption already recorded. Checks again, under the promotion's and the
    coupon's locks, that the coupon is the customer's to use, in its dates and channel (and tier,
    when ``tier_code`` is given), and that no limit is reached. Raises ``CouponInvalid`` (unknown,
    expired, not the customer's, wrong channel) or ``CouponUsedUp`` (single use taken, the
    promotion's or the customer's limit reached). ``savepoint=False``: the caller's transaction
    is rolled back whole on any error raised here (checkout's), so no savepoint of its own is taken.
    """
    normalised = coupon_code_normalise(code)
    at = at or timezone.now()
    customer_id = getattr(customer, "pk", None)
    with transaction.atomic(savepoint=savepoint):
        coupon = coupon_with_promotion_lock(code=normalised)
        if coupon is None:
            raise _invalid(_("Unknown coupon code."))
        coupon_id, promotion_id = coupon.pk, coupon.promotion_id
        # Read after the locks, in a statement of its own, so it sees what committed while they
        # were awaited: the counters, the customer's uses and an earlier use by ``reference``.
        earlier = CouponRedemption.objects.filter(coupon_id=coupon_id, reference=reference).values("pk")
        promotion = (
            promotions_with_targets(Promotion.objects.filter(pk=promotion_id), customer_id=customer_id)
            .annotate(earlier_redemption_id=Subquery(earlier[:1]))
            .get()
        )
        existing = None
        if promotion.earlier_redemption_id is not None:
            existing = CouponRedemption.objects.get(pk=promotion.earlier_redemption_id)
            if existing.released_at is None:
                return existing
        coupon.promotion = promotion
        why = coupon_refusal(coupon, customer=customer, at=at) or _promotion_refusal(
            promotion, customer=customer, at=at, tier_code=tier_code
        )
        why = why or _channel_refusal(promotion, channel_code)
        if why:
            raise _invalid(why)
        if why := coupon_used_up(coupon):
            raise _used_up(why)
        values = {
            "promotion_id": promotion_id,
            "customer_id": customer_id,
            "channel_code": channel_code,
            "amount": amount,
            "currency": currency,
            "single_use": coupon.single_use,
        }
        # No savepoint of its own: on a refusal this block (a savepoint, or the caller's whole
        # transaction with ``savepoint=False``) is rolled back anyway.
        try:
            if existing is not None:  # released earlier (cancelled order), used again by it
                CouponRedemption.objects.filter(pk=existing.pk).update(released_at=None, **values)
                existing.refresh_from_db()
                redemption = existing
            else:  # the row and the counters in one statement
                redemption = CouponRedemption(
                    coupon_id=coupon_id, reference=reference, created_at=timezone.now(), released_at=None, **values
                )
                _redemption_insert_counted(redemption)
        except IntegrityError:  # the constraints' backstop: the locks should make this unreachable
            raise _used_up(_("This coupon has already been used.")) from None
        if existing is not None:
            _uses_add(coupon_id=coupon_id, promotion_id=promotion_id, n=1)
        outbox_emit_many(events=[coupon_redemption_message(type=CouponOutboxEvent.REDEEMED, redemption=redemption)])
    return redemption


def _uses_add(*, coupon_id: int, promotion_id: int, n: int) -> None:
    """Move the coupon's and its promotion's ``uses`` by ``n`` in one statement (both rows are
    locked by the caller; their CheckConstraints still refuse a count below zero)."""
    with connection.cursor() as cursor:
        cursor.execute(_USES_ADD_SQL, [n, coupon_id, n, promotion_id])


def _redemption_insert_counted(redemption: CouponRedemption) -> None:
    """Insert ``redemption`` (its ``pk`` set, saved as ``create`` leaves it) and add one to its
    coupon's and promotion's ``uses``, in one statement (both rows locked by the caller). The
    unique constraints and the counters' CheckConstraints hold as for separate statements."""
    row = {f.attname: getattr(redemption, f.attname) for f in CouponRedemption._meta.concrete_fields}
    columns, values, params = insert_values(CouponRedemption, [row])
    table = CouponRedemption._meta.db_table
    # Table and column names from the models' metadata, never input; the values are parameters.
    sql = f"{_USES_ADD_CTE} INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [1, redemption.coupon_id, 1, redemption.promotion_id, *params])
        redemption.pk = cursor.fetchone()[0]
    redemption._state.adding, redemption._state.db = False, connection.alias


_USES_ADD_CTE = (
    "WITH c AS (UPDATE loyalty_coupon SET uses = uses + %s WHERE id = %s), "
    "p AS (UPDATE loyalty_promotion SET uses = uses + %s WHERE id = %s)"
)

_USES_ADD_SQL = (
    "WITH c AS (UPDATE loyalty_coupon SET uses = uses + %s WHERE id = %s) "
    "UPDATE loyalty_promotion SET uses = uses + %s WHERE id = %s"
)


def _promotion_refusal(promotion: Promotion, *, customer, at: datetime, tier_code: str | None) -> str:
    if not promotion.is_active:
        return _("This promotion is no longer active.")
    if promotion.valid_from and at < promotion.valid_from:
        return _("This promotion has not started yet.")
    if promotion.valid_to and at >= promotion.valid_to:
        return _("This promotion has ended.")
    if tier_code is not None and (promotion.target_tier_codes or promotion.has_target_customers):
        if not (tier_code in promotion.target_tier_codes or promotion.is_target_customer):
            return _("This promotion is for selected customers or tiers only.")
    elif promotion.has_target_customers and not promotion.target_tier_codes and not promotion.is_target_customer:
        return _("This promotion is for selected customers or tiers only.")
    return ""


def coupon_redemptions_release(*, reference: str, actor=None) -> int:
    """The order ``reference`` was cancelled: its live redemptions are released (the row stays
    with ``released_at`` set, the counters go down) so the codes may be used again. Idempotent:
    returns how many were released now (0 the second time)."""
    with transaction.atomic():
        pending = list(
            CouponRedemption.objects.filter(reference=reference, released_at__isnull=True).values_list(
                "promotion_id", "coupon_id"
            )
        )
        if not pending:
            return 0
        for promotion_id in sorted({p for p, _c in pending}):
            promotion_lock(promotion_id=promotion_id)
        coupons_lock(ids={c for _p, c in pending})
        rows = list(CouponRedemption.objects.filter(reference=reference, released_at__isnull=True).order_by("pk"))
        now = timezone.now()
        CouponRedemption.objects.filter(pk__in=[r.pk for r in rows]).update(released_at=now)
        for coupon_id, n in sorted(Counter(r.coupon_id for r in rows).items()):
            Coupon.objects.filter(pk=coupon_id).update(uses=F("uses") - n)
        for promotion_id, n in sorted(Counter(r.promotion_id for r in rows).items()):
            Promotion.objects.filter(pk=promotion_id).update(uses=F("uses") - n)
        for row in rows:
            row.released_at = now
        outbox_emit_many(
            events=[coupon_redemption_message(type=CouponOutboxEvent.RELEASED, redemption=r) for r in rows]
        )
    return len(rows)


def _codes_new(*, count: int, prefix: str) -> list[str]:
    """``count`` fresh codes none of which exists yet (a few rounds at most: 31^10 codes)."""
    codes: set[str] = set()
    while len(codes) < count:
        batch = {prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)}
        batch -= codes
        taken = set(
            Coupon.objects.annotate(code_upper=Upper("code"))
            .filter(code_upper__in=batch)
            .values_list("code_upper", flat=True)
        )
        codes |= set(list(batch - taken)[: count - len(codes)])
    return sorted(codes)


def coupons_generate(
    *, promotion: Promotion, count: int, prefix: str = "", customers=None, expires_at=None, actor
) -> list[Coupon]:
    """Bulk single-use codes for ``promotion``: ``count`` anonymous ones, or one personal code per
    customer of ``customers`` (``count`` is then ignored). Codes use an alphabet without look-alike
    characters; a collision with an existing code (or a concurrent generation) draws new ones."""
    prefix = coupon_code_normalise(prefix)
    customers = list(customers) if customers is not None else None
    count = len(customers) if customers is not None else count
    if count < 1 or count > MAX_GENERATE:
        raise CouponGiveRefused(
            _("Generate between 1 and %(max)d codes.") % {"max": MAX_GENERATE},
            errors={"count": [_("Generate between 1 and %(max)d codes.") % {"max": MAX_GENERATE}]},
        )
    if promotion.automatic:
        raise _give_refused(_("An automatic promotion takes no codes."), field="promotion")
    for attempt in range(3):
        try:
            with transaction.atomic():
                codes = _codes_new(count=count, prefix=prefix)
                owners = customers if customers is not None else [None] * count
                coupons = Coupon.objects.bulk_create(
                    [
                        Coupon(
                            code=code,
                            promotion=promotion,
                            customer=owner,
                            single_use=True,
                            expires_at=expires_at,
                            given_by=actor if getattr(actor, "pk", None) else None,
                        )
                        for code, owner in zip(codes, owners, strict=True)
                    ]
                )
                actor_id = getattr(actor, "pk", None)
                outbox_emit_many(
                    events=[
                        coupons_generated_message(
                            promotion=promotion, count=count, personal=customers is not None, actor_id=actor_id
                        )
                    ]
                )
                admin_history_record(
                    actor=actor,
                    obj=promotion,
                    message=ngettext(
                        "Generated %(count)d single-use code.", "Generated %(count)d single-use codes.", count
                    )
                    % {"count": count},
                )
                return coupons
        except IntegrityError:  # another generation took one of the codes meanwhile
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _give_refused(message: str, *, field: str) -> CouponGiveRefused:
    return CouponGiveRefused(message, errors={field: [message]})


def coupon_give(*, customer, promotion: Promotion, reason: str, actor, expires_at=None) -> Coupon:
    """An agent gives ``customer`` a personal single-use coupon of ``promotion``, saying why.

    Needs ``loyalty.give_coupon``, a reason and a promotion that takes codes and is active.
    Audited: the admin history of the customer and of the coupon, and ``loyalty.coupon_given``.
    Raises ``CouponGiveRefused``."""
    reason = (reason or "").strip()
    if not reason:
        raise _give_refused(_("Say why the customer gets the coupon."), field="reason")
    if actor is None or not actor.has_perm("loyalty.give_coupon"):
        raise _give_refused(_("You may not give coupons."), field="promotion")
    if not promotion.is_active or promotion.automatic:
        raise _give_refused(_("Choose an active promotion that takes codes."), field="promotion")
    if promotion.valid_to and promotion.valid_to <= timezone.now():
        raise _give_refused(_("That promotion has ended."), field="promotion")
    with transaction.atomic():
        (coupon,) = _codes_and_coupon(promotion=promotion, customer=customer, expires_at=expires_at, actor=actor)
        Coupon.objects.filter(pk=coupon.pk).update(reason=reason[:300])
        coupon.reason = reason[:300]
        outbox_emit_many(events=[coupon_given_message(coupon=coupon, actor_id=actor.pk)])
        message = _("Gave the personal coupon %(code)s (%(promotion)s): %(reason)s") % {
            "code": coupon.code,
            "promotion": promotion.name,
            "reason": reason,
        }
        admin_history_record(actor=actor, obj=customer, message=message)
        admin_history_record(actor=actor, obj=coupon, message=message, flag=ADDITION)
    return coupon


def _codes_and_coupon(*, promotion, customer, expires_at, actor) -> list[Coupon]:
    for attempt in range(3):
        try:
            with transaction.atomic():
                (code,) = _codes_new(count=1, prefix="")
                return [
                    Coupon.objects.create(
                        code=code,
                        promotion=promotion,
                        customer=customer,
                        single_use=True,
                        expires_at=expires_at,
                        given_by=actor,
                    )
                ]
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")

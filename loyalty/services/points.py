"""Writes of the points ledger: earn, release, redeem, reverse, adjust, expire.

Every change locks the account (``loyalty.lock_objects``), writes ledger entries whose sums are
the account's ``balance`` and ``pending`` (checked by ``manage.py points_consistency``), changes
the counters with ``F()`` (CheckConstraints refuse a negative balance even if a check here were
wrong) and emits an outbox event in the same transaction.

Lots: an earn is a pending lot (``release_at``: now + ``OMNISHOP_POINTS_PENDING_DAYS``, the return
window) that ``points_release_due`` makes spendable; it expires ``OMNISHOP_POINTS_LIFETIME_DAYS``
after its release. Spending takes the spendable lots soonest-expiring first (then the oldest).
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Channel
from omnishop.outbox.services import outbox_emit_many

from ..events import PointsEvent, points_message
from ..exceptions import InsufficientPoints, InvalidPointsRequest
from ..lock_objects import loyalty_account_lock_for_customer, loyalty_accounts_lock
from ..models import LoyaltyAccount, PointsEntry, PointsLot
from ..sql_rows import Sql, insert_values
from .tiers import tier_account_evaluate

GRANT_PERMISSION = "loyalty.grant_points"
Kind, Affects, Source, State = PointsEntry.Kind, PointsEntry.Affects, PointsEntry.Source, PointsLot.State


class PointsPermissionDenied(InvalidPointsRequest):
    code = "permission_denied"
    status_code = 403


def _lifetime() -> timedelta:
    return timedelta(days=settings.OMNISHOP_POINTS_LIFETIME_DAYS)


def account_for_customer_ensure(*, customer) -> LoyaltyAccount:
    """The customer's account, created empty on first use (one per customer, whatever the channel)."""
    account, _created = LoyaltyAccount.objects.get_or_create(customer=customer)
    return account


def _locked_account(customer) -> LoyaltyAccount:
    account = loyalty_account_lock_for_customer(customer_id=customer.pk)
    if account is None:  # the first points of this customer
        account = account_for_customer_ensure(customer=customer)
        account = loyalty_accounts_lock(ids=[account.pk])[account.pk]
    return account


def points_account_lock(*, customer) -> LoyaltyAccount:
    """The customer's account (created empty on first use), locked until the caller's transaction
    ends: step 1 of ``loyalty.lock_objects``' order. Checkout locks it once, before the coupon
    and the wallets, and passes it to ``points_order_book``."""
    return _locked_account(customer)


def _counters(account: LoyaltyAccount, *, balance: int = 0, pending: int = 0) -> None:
    """Move the account's counters with F(); ``account`` was read under its lock, so its figures
    after the change are known without reading them back."""
    LoyaltyAccount.objects.filter(pk=account.pk).update(
        balance=F("balance") + balance, pending=F("pending") + pending, updated_at=timezone.now()
    )
    account.balance += balance
    account.pending += pending


def _channel_kind(channel_code: str) -> str:
    if not channel_code:
        return ""
    return Channel.objects.filter(code=channel_code).values_list("kind", flat=True).first() or ""


def _spend(account: LoyaltyAccount, points: int) -> list[dict]:
    """Take ``points`` from the account's spendable lots, soonest-expiring first (then the
    oldest), in one statement; returns ``[{"lot": id, "points": n}]`` in that order. The caller
    holds the account lock and checked the balance: the lots are only changed under that lock,
    so the statement (begun after it was taken) reads them current."""
    with connection.cursor() as cursor:
        cursor.execute(_SPEND_SQL, {"account": account.pk, "state": State.SPENDABLE.value, "points": points})
        rows = sorted(cursor.fetchall(), key=lambda row: (row[2], row[0]))
    if sum(part for _lot, part, _expires in rows) < points:
        # The lots do not cover the balance: the books drifted; refuse rather than invent.
        raise InsufficientPoints(errors={"points": [_("The points lots do not cover the balance.")]})
    return [{"lot": lot, "points": part} for lot, part, _expires in rows]


# Each lot in spending order gives what is still wanted after the lots before it, up to what
# it holds; only the lots that give something are updated (and so locked). The lot table's
# CheckConstraint refuses a remaining below zero even if this were wrong.
_SPEND_SQL = """
WITH ranked AS (
    SELECT id, remaining, expires_at, SUM(remaining) OVER (ORDER BY expires_at, id) - remaining AS before
    FROM loyalty_pointslot
    WHERE account_id = %(account)s AND state = %(state)s AND remaining > 0
)
UPDATE loyalty_pointslot AS lot
SET remaining = lot.remaining - LEAST(ranked.remaining, %(points)s - ranked.before)
FROM ranked
WHERE lot.id = ranked.id AND ranked.before < %(points)s
RETURNING lot.id, LEAST(ranked.remaining, %(points)s - ranked.before)::integer, ranked.expires_at
"""


def points_earn(
    *,
    customer,
    points: int,
    reference: str,
    channel_code: str,
    explanation: list,
    release_at=None,
    actor=None,
    now=None,
    channel_kind: str = "",
) -> PointsEntry | None:
    """Credit ``points`` earned on order ``reference`` as a pending lot, spendable from
    ``release_at`` (default: now + the return window). 0 points → None. Re-evaluates the tier.
    ``channel_kind``: the channel's kind when the caller has it (else it is looked up by code)."""
    if points < 0:
        raise InvalidPointsRequest(errors={"points": [_("Earned points cannot be negative.")]})
    if points == 0:
        return None
    now = now or timezone.now()
    release_at = release_at or now + timedelta(days=settings.OMNISHOP_POINTS_PENDING_DAYS)
    kind = channel_kind or _channel_kind(channel_code)
    with transaction.atomic():
        account = _locked_account(customer)
        lot = PointsLot.objects.create(
            account=account,
            points=points,
            remaining=points,
            state=State.PENDING,
            release_at=release_at,
            expires_at=release_at + _lifetime(),
            reference=reference,
            created_at=now,
        )
        entry = PointsEntry.objects.create(
            account=account,
            kind=Kind.EARN,
            points=points,
            affects=Affects.PENDING,
            source=Source.ORDER,
            reference=reference,
            channel_code=channel_code,
            channel_kind=kind,
            lot=lot,
            actor=actor,
            explanation=explanation,
            created_at=now,
        )
        _counters(account, pending=points)
        outbox_emit_many(
            events=[
                points_message(
                    type=PointsEvent.EARNED, account=account, points=points, reference=reference, channel=channel_code
                )
            ]
        )
        tier_account_evaluate(account=account, now=now, reason="earn", upgrade_only=True)
    return entry


def points_redeem(
    *,
    customer,
    points: int,
    reference: str,
    channel_code: str,
    actor=None,
    now=None,
    channel_kind: str = "",
) -> PointsEntry:
    """Spend ``points`` of the customer's spendable balance on order ``reference``, inside the
    caller's transaction. Raises ``InsufficientPoints`` when the balance (pending points never
    count) is below ``points``; the account lock makes concurrent redemptions queue."""
    if points <= 0:
        raise InvalidPointsRequest(errors={"points": [_("Redeem at least one point.")]})
    now = now or timezone.now()
    with transaction.atomic():
        account = _locked_account(customer)
        if account.balance < points:
            raise InsufficientPoints(
                errors={"points": [_("%(balance)d points are spendable.") % {"balance": account.balance}]}
            )
        taken = _spend(account, points)
        entry = PointsEntry.objects.create(
            account=account,
            kind=Kind.REDEEM,
            points=-points,
            affects=Affects.BALANCE,
            source=Source.ORDER,
            reference=reference,
            channel_code=channel_code,
            channel_kind=channel_kind or _channel_kind(channel_code),
            actor=actor,
            explanation=taken,
            created_at=now,
        )
        _counters(account, balance=-points)
        outbox_emit_many(
            events=[
                points_message(
                    type=PointsEvent.REDEEMED,
                    account=account,
                    points=-points,
                    reference=reference,
                    channel=channel_code,
                )
            ]
        )
    return entry


def points_order_book(
    *,
    customer,
    account: LoyaltyAccount,
    redeem: int,
    earn: int,
    reference: str,
    channel_code: str,
    channel_kind: str,
    explanation: list,
    actor=None,
    now=None,
) -> None:
    """An order's points in one go, on the customer's ``account`` the caller holds locked
    (``points_account_lock``): spend ``redeem`` points (as ``points_redeem``) and credit ``earn``
    as a pending lot (as ``points_earn``), each 0 for none. Same entries, lot, counters and events
    as the two services one after the other, in fewer statements: the lots are spent in one, the
    lot, both entries and the counters written in a second, the tier checked in a third (a read
    of its own, after the writes). Runs in the caller's transaction, which is rolled back whole
    on any error raised here (no savepoint). Raises ``InsufficientPoints`` like ``points_redeem``."""
    if earn < 0:
        raise InvalidPointsRequest(errors={"points": [_("Earned points cannot be negative.")]})
    if redeem < 0:
        raise InvalidPointsRequest(errors={"points": [_("Redeem at least one point.")]})
    if not (redeem or earn):
        return
    if account.customer_id != customer.pk:
        raise ValueError("The locked account passed is not the customer's.")
    now = now or timezone.now()
    kind = channel_kind or _channel_kind(channel_code)
    common = {
        "account_id": account.pk,
        "source": Source.ORDER,
        "reference": reference,
        "channel_code": channel_code,
        "channel_kind": kind,
        "actor_id": getattr(actor, "pk", None),
        "created_at": now,
    }
    entries, events, lot = [], [], None
    if redeem:
        if account.balance < redeem:
            raise InsufficientPoints(
                errors={"points": [_("%(balance)d points are spendable.") % {"balance": account.balance}]}
            )
        taken = _spend(account, redeem)
        entries.append({"kind": Kind.REDEEM, "points": -redeem, "affects": Affects.BALANCE, "explanation": taken})
        account.balance -= redeem  # the figures the event reports, as after ``points_redeem``
        events.append(
            points_message(
                type=PointsEvent.REDEEMED, account=account, points=-redeem, reference=reference, channel=channel_code
            )
        )
    if earn:
        release_at = now + timedelta(days=settings.OMNISHOP_POINTS_PENDING_DAYS)
        lot = {
            "account_id": account.pk,
            "points": earn,
            "remaining": earn,
            "state": State.PENDING,
            "release_at": release_at,
            "expires_at": release_at + _lifetime(),
            "reference": reference,
            "created_at": now,
        }
        entries.append({"kind": Kind.EARN, "points": earn, "affects": Affects.PENDING, "explanation": explanation})
        account.pending += earn
        events.append(
            points_message(
                type=PointsEvent.EARNED, account=account, points=earn, reference=reference, channel=channel_code
            )
        )
    sql, params = _book_sql(lot=lot, entries=[{**common, **e} for e in entries])
    params += [-redeem, earn, now, account.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    outbox_emit_many(events=events)
    if earn:
        tier_account_evaluate(account=account, now=now, reason="earn", upgrade_only=True)


def _book_sql(*, lot: dict | None, entries: list[dict]) -> tuple[str, list]:
    """One statement: the earn lot (when ``lot``), the entries (the earn entry gets the lot's id)
    and the account's counters (the last four parameters: balance change, pending change, when,
    account id). The caller holds the account's lock (which covers its lots)."""
    parts, params = [], []
    if lot is not None:
        columns, values, lot_params = insert_values(PointsLot, [lot])
        table = PointsLot._meta.db_table
        parts.append(f"lot AS (INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING id)")  # noqa: S608
        params += lot_params
        entries = [{**e, "lot_id": Sql("(SELECT id FROM lot)")} if e["kind"] == Kind.EARN else e for e in entries]
    columns, values, entry_params = insert_values(PointsEntry, entries)
    table = PointsEntry._meta.db_table
    parts.append(f"entries AS (INSERT INTO {table} ({', '.join(columns)}) VALUES {values})")  # noqa: S608
    params += entry_params
    # Table and column names from the models' metadata, never input; the values are parameters.
    account = LoyaltyAccount._meta.db_table
    counters = f"UPDATE {account} SET balance = balance + %s, pending = pending + %s, updated_at = %s WHERE id = %s"  # noqa: S608
    sql = "WITH " + ", ".join(parts) + " " + counters
    return sql, params


def _give_back(account: LoyaltyAccount, entry: PointsEntry, now) -> tuple[int, list]:
    """A redemption undone: its points go back to the lots they came from while those are
    still spendable; what came from lots that expired (or were voided) since comes back as one
    new spendable lot with a full lifetime from now."""
    amount = -entry.points
    allocations = {a["lot"]: a["points"] for a in entry.explanation if isinstance(a, dict) and "lot" in a}
    lots = PointsLot.objects.select_for_update().filter(pk__in=allocations, account=account)
    returned, fresh = [], amount
    for lot in lots.order_by("id"):
        if lot.state == State.SPENDABLE and lot.expires_at > now:
            part = min(allocations[lot.pk], lot.points - lot.remaining)
            PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") + part)
            returned.append({"lot": lot.pk, "points": part})
            fresh -= part
    if fresh > 0:
        lot = PointsLot.objects.create(
            account=account,
            points=fresh,
            remaining=fresh,
            state=State.SPENDABLE,
            release_at=now,
            expires_at=now + _lifetime(),
            reference=entry.reference,
            created_at=now,
        )
        returned.append({"lot": lot.pk, "points": fresh, "new": True})
    return amount, returned


def _take_back(account: LoyaltyAccount, entry: PointsEntry) -> tuple[int, str, list]:
    """An earn undone. Still pending: its lot is voided. Already released: the points are clawed
    back from the balance as far as it goes (its own lot first, then the soonest-expiring ones);
    what the balance cannot cover is forgiven (recorded as ``forgiven`` in the explanation), and
    what expired of the lot is not clawed back a second time."""
    lot = PointsLot.objects.select_for_update().get(pk=entry.lot_id)
    if lot.state == State.PENDING:
        PointsLot.objects.filter(pk=lot.pk).update(remaining=0, state=State.VOIDED)
        return -lot.remaining, Affects.PENDING, [{"lot": lot.pk, "points": lot.remaining, "voided": True}]
    target = lot.points - lot.expired
    take = min(target, account.balance)
    taken = []
    own = min(lot.remaining, take) if lot.state == State.SPENDABLE else 0
    if own:
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - own)
        taken.append({"lot": lot.pk, "points": own})
    if take - own:
        taken += _spend(account, take - own)
    taken.append({"forgiven": target - take})
    return -take, Affects.BALANCE, taken


def points_order_reverse(*, reference: str, actor=None, now=None) -> None:
    """Order ``reference`` was cancelled: give back what it redeemed and remove what it earned
    (see ``_give_back`` and ``_take_back``). Each earn or redeem entry is reversed at most once
    (a unique reverse link), so calling this again changes nothing."""
    now = now or timezone.now()
    open_entries = PointsEntry.objects.filter(reference=reference, kind__in=[Kind.EARN, Kind.REDEEM])
    account_ids = set(open_entries.filter(reversal__isnull=True).values_list("account_id", flat=True))
    if not account_ids:
        return
    with transaction.atomic():
        accounts = loyalty_accounts_lock(ids=account_ids)
        events = []
        todo = open_entries.filter(reversal__isnull=True, account_id__in=accounts).order_by("id")
        for entry in todo:
            account = accounts[entry.account_id]
            if entry.kind == Kind.REDEEM:
                points, returned = _give_back(account, entry, now)
                affects = Affects.BALANCE
            else:
                points, affects, returned = _take_back(account, entry)
            PointsEntry.objects.create(
                account=account,
                kind=Kind.REVERSE,
                points=points,
                affects=affects,
                source=Source.ORDER,
                reference=reference,
                channel_code=entry.channel_code,
                channel_kind=entry.channel_kind,
                reverses=entry,
                actor=actor,
                explanation=returned,
                created_at=now,
            )
            _counters(account, **{"balance" if affects == Affects.BALANCE else "pending": points})
            events.append(
                points_message(
                    type=PointsEvent.REVERSED,
                    account=account,
                    points=points,
                    reference=reference,
                    channel=entry.channel_code,
                )
            )
        outbox_emit_many(events=events)


def points_adjust(*, customer, points: int, reason: str, actor, now=None) -> PointsEntry:
    """An agent grants (``points`` > 0: a spendable lot with a full lifetime) or takes
    (``points`` < 0, soonest-expiring lots first) goodwill points. Needs ``loyalty.grant_points``
    and a reason; raises ``InvalidPointsRequest``, ``PointsPermissionDenied``, ``InsufficientPoints``."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the points are granted or taken.")]
    if not points:
        errors["points"] = [_("Give a number of points other than zero.")]
    if errors:
        raise InvalidPointsRequest(errors=errors)
    if actor is None or not actor.has_perm(GRANT_PERMISSION):
        raise PointsPermissionDenied(_("You may not grant or take points."))
    now = now or timezone.now()
    with transaction.atomic():
        account = _locked_account(customer)
        lot, explanation = None, []
        if points > 0:
            lot = PointsLot.objects.create(
                account=account,
                points=points,
                remaining=points,
                state=State.SPENDABLE,
                release_at=now,
                expires_at=now + _lifetime(),
                reference="goodwill",
                created_at=now,
            )
        else:
            if account.balance < -points:
                raise InsufficientPoints(
                    errors={"points": [_("%(balance)d points are spendable.") % {"balance": account.balance}]}
                )
            explanation = _spend(account, -points)
        entry = PointsEntry.objects.create(
            account=account,
            kind=Kind.BONUS if points > 0 else Kind.ADJUST,
            points=points,
            affects=Affects.BALANCE,
            source=Source.AGENT,
            lot=lot,
            actor=actor,
            reason=reason,
            explanation=explanation,
            created_at=now,
        )
        _counters(account, balance=points)
        outbox_emit_many(events=[points_message(type=PointsEvent.ADJUSTED, account=account, points=points)])
    return entry


def _by_account(lots) -> dict[int, list[int]]:
    grouped = defaultdict(list)
    for lot_id, account_id in lots.values_list("id", "account_id"):
        grouped[account_id].append(lot_id)
    return grouped


def points_release_due(*, now=None) -> int:
    """Pending lots whose return window closed become spendable: per account (one short
    transaction each) two entries move the points from pending to the balance. Returns the
    number of lots released."""
    now = now or timezone.now()
    released = 0
    due = PointsLot.objects.filter(state=State.PENDING, release_at__lte=now)
    for account_id in sorted(_by_account(due)):
        with transaction.atomic():
            account = loyalty_accounts_lock(ids=[account_id]).get(account_id)
            if account is None:
                continue
            lots = list(due.filter(account=account).select_for_update().order_by("id"))
            total = sum(lot.remaining for lot in lots)
            PointsLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(state=State.SPENDABLE)
            listed = [{"lot": lot.pk, "points": lot.remaining, "reference": lot.reference} for lot in lots]
            common = {"account": account, "kind": Kind.RELEASE, "source": Source.SYSTEM, "created_at": now}
            PointsEntry.objects.bulk_create(
                [
                    PointsEntry(points=-total, affects=Affects.PENDING, explanation=listed, **common),
                    PointsEntry(points=total, affects=Affects.BALANCE, explanation=listed, **common),
                ]
            )
            _counters(account, balance=total, pending=-total)
            outbox_emit_many(events=[points_message(type=PointsEvent.RELEASED, account=account, points=total)])
            released += len(lots)
    return released


def points_expire_due(*, now=None) -> int:
    """Spendable lots past their expiry date lose what is left of them (an expire entry each),
    one short transaction per account. Returns the number of lots expired."""
    now = now or timezone.now()
    expired = 0
    due = PointsLot.objects.filter(state=State.SPENDABLE, expires_at__lte=now)
    for account_id in sorted(_by_account(due)):
        with transaction.atomic():
            account = loyalty_accounts_lock(ids=[account_id]).get(account_id)
            if account is None:
                continue
            lots = list(due.filter(account=account).select_for_update().order_by("expires_at", "id"))
            entries = [
                PointsEntry(
                    account=account,
                    kind=Kind.EXPIRE,
                    points=-lot.remaining,
                    affects=Affects.BALANCE,
                    source=Source.SYSTEM,
                    reference=lot.reference,
                    lot=lot,
                    created_at=now,
                )
                for lot in lots
                if lot.remaining
            ]
            total = sum(lot.remaining for lot in lots)
            PointsLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(
                state=State.EXPIRED, expired=F("remaining"), remaining=0
            )
            PointsEntry.objects.bulk_create(entries)
            if total:
                _counters(account, balance=-total)
                outbox_emit_many(events=[points_message(type=PointsEvent.EXPIRED, account=account, points=-total)])
            expired += len(lots)
    return expired

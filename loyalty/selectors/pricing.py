"""What the pricing engine reads of a signed-in customer, in one statement: their points standing
(``points_standing``), the coupon of the code they typed (as ``promotions_apply`` looks it up) and
the earning rules in play (as ``points_quote`` reads them). A guest has no standing and earns
nothing, so the engine reads only the coupon for them, as before; this is for members."""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from catalog.models import Channel

from ..models import Coupon, EarningRule, LoyaltyAccount, PointsEntry, Tier
from ..selectors_points import PointsStanding


@dataclass(frozen=True)
class MemberPricingReads:
    standing: PointsStanding
    coupon: Coupon | None  # None: no code given, or no coupon has it
    rules: list[EarningRule]


def _instance(model, data: dict):
    """A model instance from its row as PostgreSQL's ``row_to_json`` wrote it (each value turned
    back by its field, as a query would have returned it)."""
    fields = model._meta.concrete_fields
    values = [f.to_python(data[f.column]) for f in fields]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def _member_sql() -> str:
    account, tier = LoyaltyAccount._meta.db_table, Tier._meta.db_table
    entries, coupons, rules = PointsEntry._meta.db_table, Coupon._meta.db_table, EarningRule._meta.db_table
    # Table names from the models' own metadata, never input; the values are bound parameters.
    # The app earn: an unreversed earn on an app channel (``selectors_points._app_earns``).
    return f"""
SELECT
  (SELECT json_build_object(
            'balance', a.balance,
            'tier', row_to_json(t),
            'has_app_earn', EXISTS(
                SELECT 1 FROM {entries} e
                 WHERE e.account_id = a.id AND e.kind = %(earn)s AND e.channel_kind = %(app)s
                   AND NOT EXISTS(SELECT 1 FROM {entries} r WHERE r.reverses_id = e.id)))
     FROM {account} a LEFT JOIN {tier} t ON t.id = a.tier_id
    WHERE a.customer_id = %(customer)s)::text,
  (SELECT row_to_json(c) FROM {coupons} c
    WHERE %(code)s <> '' AND UPPER(c.code) = %(code)s LIMIT 1)::text,
  (SELECT json_agg(r ORDER BY r.priority, r.id) FROM {rules} r
    WHERE r.is_active AND (r.valid_from IS NULL OR r.valid_from <= %(at)s)
      AND (r.valid_to IS NULL OR r.valid_to > %(at)s))::text
"""  # noqa: S608


_MEMBER_SQL = _member_sql()


def _loads(text: str | None):
    # Numbers as Decimal, as the numeric columns come from a query (never through a float).
    return json.loads(text, parse_float=Decimal) if text is not None else None


def member_pricing_reads(*, customer, coupon_code: str, at) -> MemberPricingReads:
    """The customer's standing, the coupon of the normalised ``coupon_code`` ("": none is read)
    and the earning rules active at ``at``: one query. An empty standing for a customer without
    an account (as ``points_standing``)."""
    params = {
        "customer": customer.pk,
        "code": coupon_code,
        "at": at,
        "earn": PointsEntry.Kind.EARN.value,
        "app": Channel.Kind.APP.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_MEMBER_SQL, params)
        account, coupon, rules = (_loads(text) for text in cursor.fetchone())
    standing = PointsStanding()
    if account is not None:
        tier = _instance(Tier, account["tier"]) if account["tier"] is not None else None
        standing = PointsStanding(balance=account["balance"], tier=tier, has_app_earn=account["has_app_earn"])
    return MemberPricingReads(
        standing=standing,
        coupon=_instance(Coupon, coupon) if coupon is not None else None,
        rules=[_instance(EarningRule, row) for row in rules or ()],
    )

"""Whose stock a staff user reads: store staff see the stock, movements and transfers of the
stores they work at (``Location.staff``) only; inventory managers, the warehouse, agents and
superusers see every location's."""

from django.db.models import Q, QuerySet

from ..models import Location

# The permission that makes a user store staff (orders' pickup handling), and those that lift
# the store scope. Named as strings: inventory imports no app above it.
STORE_STAFF_PERMISSION = "orders.handle_pickup"
ALL_LOCATIONS_PERMISSIONS = ("orders.change_order", "orders.ship_order", "inventory.add_stockmovement")


def staff_sees_only_own_stores(user) -> bool:
    """``user`` is store staff and nothing wider: their stock views are scoped to their stores."""
    if getattr(user, "is_superuser", False) or not user.has_perm(STORE_STAFF_PERMISSION):
        return False
    return not any(user.has_perm(perm) for perm in ALL_LOCATIONS_PERMISSIONS)


def scoped_to_own_stores(queryset: QuerySet, *, user, lookups: tuple[str, ...] = ("location",)) -> QuerySet:
    """``queryset`` narrowed, for store staff, to rows whose ``lookups`` (location foreign keys,
    any of them) point at a store ``user`` works at; unchanged for everyone else."""
    if not staff_sees_only_own_stores(user):
        return queryset
    own = Location.objects.filter(staff=user).values("pk")
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{f"{lookup}__in": own})
    return queryset.filter(condition)

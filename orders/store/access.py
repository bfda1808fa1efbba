"""Who may use the store console and on what: the store chosen in the session, the stores a user
works at (``Location.staff``), and lookups that answer 404 for another store's orders, parcels
and transfers (the same answer as for one that does not exist, so nothing leaks)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from inventory.models import Location

from ..models import Fulfilment, Order
from ..store_selectors import order_for_store, orders_of_store

SESSION_STORE_KEY = "store_console_location"
STORE_STAFF_PERMISSION = "orders.handle_pickup"


def is_store_staff(user) -> bool:
    """An active staff login with the store role (or a superuser)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.has_perm(STORE_STAFF_PERMISSION)


def stores_of(user) -> QuerySet[Location]:
    """The active stores ``user`` works at, by name; a superuser may act in every store."""
    stores = Location.objects.filter(kind=Location.Kind.STORE, is_active=True).order_by("name", "pk")
    if getattr(user, "is_superuser", False):
        return stores
    if not getattr(user, "pk", None):
        return stores.none()
    return stores.filter(staff=user)


def store_choose(request, store: Location) -> None:
    """Keep ``store`` as the session's current store (the caller checked it is one of the user's)."""
    request.session[SESSION_STORE_KEY] = store.pk


def current_store(request) -> Location | None:
    """The store chosen in the session, if it is still one of the user's; else the only one they work at."""
    stores = getattr(request, "stores", None)
    if stores is None:
        stores = list(stores_of(request.user))
    chosen = request.session.get(SESSION_STORE_KEY)
    for store in stores:
        if store.pk == chosen:
            return store
    if len(stores) == 1:
        store_choose(request, stores[0])
        return stores[0]
    return None


def _guard(request):
    """None when the request may go on (``request.store`` and ``request.stores`` set), else the response."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return redirect_to_login(request.get_full_path(), reverse("store:login"))
    if not is_store_staff(user):
        return render(request, "store/no_store.html", {"reason": "role"}, status=403)
    request.stores = list(stores_of(user))
    if not request.stores:
        # Their account is right, only no store lists them yet: a page that says so, not a refusal.
        return render(request, "store/no_store.html", {"reason": "store"})
    request.store = current_store(request)
    if request.store is None:
        return redirect(f"{reverse('store:choose')}?{urlencode({'next': request.get_full_path()})}")
    return None


def store_staff_required(view):
    """A console view for store staff, in the store chosen in the session: anonymous users go to
    the console login, a login without the store role or without a store gets a page that says
    so, someone working at several stores picks one first."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        refused = _guard(request)
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    return wrapped


class StoreStaffRequiredMixin:
    """``store_staff_required`` for class-based views."""

    def dispatch(self, request, *args, **kwargs):
        refused = _guard(request)
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)


def order_for_store_or_404(request, number: str, *, detail: bool = True) -> Order:
    """The order ``number`` if the current store collects it or fulfils part of it, else 404."""
    order = order_for_store(store=request.store, number=number, detail=detail)
    if order is None:
        raise Http404
    return order


def fulfilments_of_store(store: Location) -> QuerySet[Fulfilment]:
    """A store's fulfilments: its own parcels and transfers out, and what arrives for its pickup orders."""
    return Fulfilment.objects.filter(Q(location=store) | Q(order__pickup_location=store))


def fulfilment_for_store_or_404(request, pk: int) -> Fulfilment:
    """The fulfilment ``pk`` (with its order and transfer) if it belongs to the current store, else 404."""
    fulfilment = (
        fulfilments_of_store(request.store)
        .select_related("order__channel", "order__pickup_location", "location", "transfer")
        .filter(pk=pk)
        .first()
    )
    if fulfilment is None:
        raise Http404
    return fulfilment


__all__ = [
    "SESSION_STORE_KEY",
    "StoreStaffRequiredMixin",
    "current_store",
    "fulfilment_for_store_or_404",
    "fulfilments_of_store",
    "is_store_staff",
    "order_for_store_or_404",
    "orders_of_store",
    "store_choose",
    "store_staff_required",
    "stores_of",
]

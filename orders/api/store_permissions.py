"""Who may call the store app's endpoints (``/api/v1/store/...``) and on what: signed-in store
staff (session, or the app's X-Session-Token) in the stores they work at; never a channel API
key. Another store's order, parcel or transfer is a 404, as for one that does not exist."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from inventory.models import Location
from omnishop.apikeys.models import ChannelAPIKey

from ..models import Fulfilment, Order
from ..selectors import _with_details, store_order_condition
from ..store.access import fulfilments_of_store, is_store_staff, stores_of
from ..store_selectors import store_order_scope


class IsStoreStaff(permissions.BasePermission):
    """A signed-in store staff login (the store role, or a superuser); API keys are refused."""

    message = _("Sign in with a store staff account.")

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ChannelAPIKey):
            return False
        return is_store_staff(request.user)


def store_of_request(request) -> Location:
    """The store a request acts in: ``?store=<code>`` (or ``store`` in the body) among the user's
    stores, or the only store they work at. Raises 404 for a store that is not theirs, 400 when
    they work at several and named none, 403 when they work at none."""
    stores = list(stores_of(request.user))
    if not stores:
        raise exceptions.PermissionDenied(_("You are not assigned to a store."))
    code = request.query_params.get("store") or (request.data.get("store") if hasattr(request.data, "get") else None)
    if code:
        found = next((s for s in stores if s.code == str(code)), None)
        if found is None:
            raise Http404
        return found
    if len(stores) == 1:
        return stores[0]
    raise exceptions.ValidationError({"store": [_("You work at several stores: name one by its code.")]})


def store_orders(store: Location, *, detail: bool = False) -> QuerySet[Order]:
    """The orders ``store`` collects or fulfils, with the lists the serializers render."""
    return _with_details(Order.objects.filter(store_order_scope(store)), detail=detail)


def store_scoped_orders(queryset: QuerySet[Order], *, user) -> QuerySet[Order]:
    """``queryset`` narrowed to the orders of the stores ``user`` works at (every store for a superuser)."""
    if getattr(user, "is_superuser", False):
        return queryset
    return queryset.filter(store_order_condition(user))


def store_scoped_fulfilments(queryset: QuerySet[Fulfilment], *, store: Location) -> QuerySet[Fulfilment]:
    """``queryset`` narrowed to ``store``'s parcels and transfers out, and what arrives for its pickup orders."""
    return queryset & fulfilments_of_store(store)

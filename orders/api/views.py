from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin
from customers.selectors import company_get, customer_for_user, customer_get
from customers.services import customer_for_user_ensure
from omnishop.api.serializers import ErrorSerializer
from omnishop.apikeys.models import ChannelAPIKey

from .. import lifecycle
from ..exceptions import EmptyOrder
from ..models import Cart, Order
from ..selectors import (
    cart_active_anonymous,
    cart_active_for_customer,
    cart_quantities,
    order_list_all,
    order_list_for_channel,
    order_list_for_customer,
    order_list_for_stores_of,
    sees_only_own_stores,
)
from ..services import order_cancel, order_place, request_fingerprint
from .serializers import OrderCancelSerializer, OrderCreateSerializer, OrderDetailSerializer, OrderSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Makes the placement safe to retry. A key is unique per channel (at most 100 characters): the "
    "first request with it in a channel takes it, and a retry of that request (the same signed-in user or API "
    "key, the same body) answers the first order with a 200. In that channel the same key with another body, "
    "or from another caller even with the same body, is a 409 idempotency_conflict that names no order. In "
    "another channel the same key is another key and places its own order. A refused request writes nothing "
    "and leaves its key unused.",
)

CART_TOKEN_HEADER = OpenApiParameter(
    "X-Cart-Token",
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    description="With from_cart: the anonymous cart to order (web shop and app) when the customer has no cart "
    "of their own.",
)
PLACE_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="Nothing was written. idempotency_conflict: the Idempotency-Key was used for another request; "
    "insufficient_stock: not enough units, errors keyed by SKU (sku@location_code when a location's stock ran "
    "out); not_sellable: lines not offered or priced in the channel, errors keyed by SKU; with from_cart, "
    "cart_not_active: the cart was already ordered or merged, cart_changed: its lines changed during the "
    "checkout (errors keyed from_cart).",
)


def _api_key(request) -> ChannelAPIKey | None:
    return request.auth if isinstance(request.auth, ChannelAPIKey) else None


def _cart_empty() -> exceptions.ValidationError:
    return exceptions.ValidationError({"from_cart": [_("The cart is empty.")]})


def _caller(request) -> str:
    """Who sends the request, for the idempotency fingerprint: a key is the caller's own."""
    key = _api_key(request)
    if key is not None:
        return f"api-key:{key.pk}"
    return f"user:{request.user.pk}"


def _is_order_staff(request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("orders.add_order"))


def orders_visible_to(request, *, detail: bool):
    """Customers see their own (and their companies') orders, a channel key its channel's,
    store staff their stores' pickup orders, other staff with the view permission all of them."""
    key = _api_key(request)
    if key is not None:
        return order_list_for_channel(channel=key.channel, detail=detail)
    user = request.user
    if user.is_staff and sees_only_own_stores(user):
        return order_list_for_stores_of(user=user, detail=detail)
    if user.is_staff and user.has_perm("orders.view_order"):
        return order_list_all(detail=detail)
    customer = customer_for_user(user=user)
    if customer is None:
        return Order.objects.none()
    return order_list_for_customer(customer=customer, detail=detail)


class CanUseOrders(permissions.BasePermission):
    """Signed-in users, or channel API keys with the orders:write scope."""

    message = gettext_lazy("Sign in, or use an API key with the orders:write scope.")  # per request language

    def has_permission(self, request, view) -> bool:
        key = _api_key(request)
        if key is not None:
            return key.has_scope("orders:write")
        return bool(request.user and request.user.is_authenticated)


@extend_schema(tags=["orders"])
class OrderListCreateApi(ChannelMixin, generics.GenericAPIView):
    permission_classes = [CanUseOrders]
    serializer_class = OrderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return orders_visible_to(self.request, detail=False)

    @extend_schema(responses=OrderSerializer(many=True))
    def get(self, request):
        """The orders the caller may see, newest first, with their lines and totals: a customer's
        own and those of their companies, a channel API key's channel's, store staff the pickup
        orders of their stores, other staff with the view order permission all of them. The
        detail (GET /api/v1/orders/{number}/) adds the routing decision, fulfilments and timeline."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderDetailSerializer, 200: OrderDetailSerializer, 409: PLACE_CONFLICT},
        parameters=[IDEMPOTENCY_HEADER, CART_TOKEN_HEADER],
    )
    def post(self, request):
        """Place an order in the requesting channel (checkout; call-centre and B2B orders too)."""
        data_in = OrderCreateSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise exceptions.ValidationError({"Idempotency-Key": [_("At most 100 characters.")]})
        customer, company, actor = self._who(request, data_in.validated_data)
        from_cart = data_in.validated_data["from_cart"]
        cart, cart_lines = _cart_to_order(request, customer=customer, key=key) if from_cart else (None, None)
        order_request = data_in.order_request(
            channel=request.channel, customer=customer, company=company, cart=cart, cart_lines=cart_lines
        )
        fingerprint = request_fingerprint(
            {"channel": request.channel.code, "body": request.data}, caller=_caller(request)
        )
        try:
            order = order_place(**order_request.fields(), idempotency_key=key, fingerprint=fingerprint, actor=actor)
        except EmptyOrder:
            if not from_cart:
                raise
            raise _cart_empty() from None
        if order.replayed:
            order = order_list_all(detail=True).get(pk=order.pk)
            return Response(OrderDetailSerializer(order).data, status=status.HTTP_200_OK)
        return Response(OrderDetailSerializer(order).data, status=status.HTTP_201_CREATED)

    def _who(self, request, data):
        """(customer, company, actor) for the order."""
        staff = _is_order_staff(request)
        if (data.get("customer_id") or data.get("company_id")) and not staff:
            raise exceptions.PermissionDenied(_("Only staff may order for another customer or a company."))
        if staff:
            customer = _found(customer_get(pk=data["customer_id"])) if data.get("customer_id") else None
            company = _found(company_get(pk=data["company_id"])) if data.get("company_id") else None
            return customer, company, request.user
        if _api_key(request) is not None:
            return None, None, None
        if not request.channel.self_service:
            raise exceptions.PermissionDenied(
                _("Customers order in the web shop or the app, not in channel %(channel)s.")
                % {"channel": request.channel.code}
            )
        customer = customer_for_user_ensure(user=request.user)
        return customer, None, request.user


def _found(row):
    if row is None:
        raise Http404
    return row


def _cart_to_order(request, *, customer, key: str) -> tuple[Cart | None, dict[int, int]]:
    """The cart a ``from_cart`` checkout orders: the customer's, else the anonymous one of the
    X-Cart-Token header (web shop and app only), with its lines. An empty cart is a 400, unless an
    Idempotency-Key may make it this checkout's retry (the first attempt ordered the cart)."""
    cart = cart_active_for_customer(customer=customer) if customer else None
    token = request.headers.get("X-Cart-Token")
    if cart is None and token:
        if not request.channel.self_service:
            # A shopper's anonymous cart is the web shop's and the app's, not another channel's.
            raise exceptions.PermissionDenied(
                _("Carts are for the web shop and the app, not for channel %(channel)s.")
                % {"channel": request.channel.code}
            )
        cart = cart_active_anonymous(token=token)
    lines = cart_quantities(cart=cart) if cart is not None else {}
    if not lines and not key:
        raise _cart_empty()
    return cart, lines


@extend_schema(tags=["orders"])
class OrderDetailApi(ChannelMixin, generics.RetrieveAPIView):
    """One order with its lines, fulfilments and timeline."""

    permission_classes = [CanUseOrders]
    serializer_class = OrderDetailSerializer
    lookup_field = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return orders_visible_to(self.request, detail=True)


@extend_schema(tags=["orders"])
class OrderCancelApi(ChannelMixin, APIView):
    permission_classes = [CanUseOrders]

    @extend_schema(request=OrderCancelSerializer, responses=OrderDetailSerializer)
    def post(self, request, number: str):
        """Cancel an order: its customer, or the marketplace it came from (for its buyer), while it
        is placed or confirmed; staff later too."""
        if request.user.is_staff and not _is_order_staff(request):
            # Staff see orders to do their part (the warehouse, a store), not to cancel them for
            # customers: that is customer service's (the add order permission).
            raise exceptions.PermissionDenied(_("Only customer service cancels orders for customers."))
        data_in = OrderCancelSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        order = get_object_or_404(orders_visible_to(request, detail=False), number=number)
        role = lifecycle.AGENT if _is_order_staff(request) else lifecycle.CUSTOMER
        order_cancel(order=order, role=role, actor=request.user, note=data_in.validated_data.get("reason", ""))
        return Response(OrderDetailSerializer(order_list_all(detail=True).get(pk=order.pk)).data)

from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Transfer
from omnishop.api.serializers import FieldsBuiltOnce, MoneyField
from omnishop.vocabulary import CHECKOUT_FULFILMENT_CHOICES, CHECKOUT_PAYMENT_CHOICES, PaymentMethod

from ..events import order_event_text
from ..exceptions import InvalidOrder
from ..models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from ..requests import Contact, OrderRequest, order_request_build
from ..routing import capacity_note
from .rewards_in import RewardsInSerializer


class LineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=999)


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    street = serializers.CharField(max_length=200)
    postal_code = serializers.RegexField(r"^\d{2}-\d{3}$|^[A-Z0-9 -]{3,10}$", max_length=12)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, default="PL")
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False)


class StoredAddressSerializer(serializers.Serializer):
    """An order's address as stored: the fields given at checkout (none for a pickup order)."""

    name = serializers.CharField(required=False)
    street = serializers.CharField(required=False)
    postal_code = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    country = serializers.CharField(required=False)
    latitude = serializers.FloatField(required=False)
    longitude = serializers.FloatField(required=False)


@extend_schema_field(StoredAddressSerializer)
class StoredAddressField(serializers.JSONField):
    """The stored JSON as it is, documented as an address."""


class ContactSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderCreateSerializer(RewardsInSerializer):
    """Place an order. Give ``lines``, or ``from_cart: true`` to check out the current cart; a
    coupon, points, a gift card and store credit to pay with beside the payment method."""

    lines = LineInSerializer(many=True, required=False)
    from_cart = serializers.BooleanField(default=False)
    fulfilment_type = serializers.ChoiceField(choices=CHECKOUT_FULFILMENT_CHOICES)
    pickup_store = serializers.SlugField(required=False, help_text=_("Location code of the pickup store."))
    shipping_address = AddressSerializer(required=False)
    contact = ContactSerializer(required=False)
    payment_method = serializers.ChoiceField(choices=CHECKOUT_PAYMENT_CHOICES, default=PaymentMethod.CARD)
    customer_id = serializers.IntegerField(required=False, help_text=_("Staff only: the customer ordered for."))
    company_id = serializers.IntegerField(required=False, help_text=_("Staff only: the B2B company ordered for."))

    def validate(self, data):
        if not data.get("lines") and not data["from_cart"]:
            raise serializers.ValidationError({"lines": [_("Give order lines or from_cart.")]})
        skus = [ln["sku"] for ln in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise serializers.ValidationError({"lines": [_("Each SKU once, please.")]})
        return data

    def order_request(self, *, channel, customer, company, cart=None, cart_lines=None) -> OrderRequest:
        """The validated body as an ``OrderRequest`` (``order_request_build`` keeps the order's
        rules); a rule broken is a 400 with the body's own field names."""
        data = self.validated_data
        contact = data.get("contact")
        try:
            return order_request_build(
                channel=channel,
                fulfilment_type=data["fulfilment_type"],
                lines=cart_lines if data["from_cart"] else None,
                sku_lines=None if data["from_cart"] else [(ln["sku"], ln["quantity"]) for ln in data["lines"]],
                payment_method=data["payment_method"],
                customer=customer,
                company=company,
                contact=Contact(**contact) if contact else None,
                pickup_store=data.get("pickup_store", ""),
                shipping_address=data.get("shipping_address"),
                cart=cart,
                language=get_language() or "",  # the request's (LocaleMiddleware: Accept-Language)
                **self.rewards(),
                field_names={"customer": "customer_id"},
            )
        except InvalidOrder as exc:
            raise serializers.ValidationError(exc.errors) from None


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=_("Why, for the order's timeline.")
    )


class OrderLineSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    # The line is rendered from its order's prefetched list, so its order (and currency) is at hand.
    unit_price = MoneyField(currency_source="order.currency")
    discount = MoneyField(currency_source="order.currency")
    line_total = MoneyField(currency_source="order.currency")

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "name", "quantity", "unit_price", "discount", "line_total"]


class FulfilmentLineSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    order_line = serializers.IntegerField(source="order_line_id", help_text=_("The id of the order line."))
    sku = serializers.CharField(source="order_line.sku")

    class Meta:
        model = FulfilmentLine
        fields = ["order_line", "sku", "quantity"]


class FulfilmentTransferSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    destination = serializers.CharField(source="destination.code", help_text=_("Location code of the pickup store."))

    class Meta:
        model = Transfer
        fields = ["id", "status", "destination", "shipped_at", "received_at"]


class FulfilmentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    location = serializers.CharField(source="location.code", help_text=_("Code of the location that serves it."))
    location_name = serializers.CharField(source="location.name")
    transfer = FulfilmentTransferSerializer(
        allow_null=True,
        help_text=_(
            "For click & collect goods the pickup store lacked: their transfer from this location (else null)."
        ),
    )
    lines = FulfilmentLineSerializer(source="line_list", many=True, help_text=_("The units this location provides."))

    class Meta:
        model = Fulfilment
        fields = ["id", "location", "location_name", "status", "transfer", "lines"]


class RoutingSerializer(serializers.Serializer):
    """The routing decision stored on the order: which locations serve it and why."""

    policy = serializers.CharField(help_text=_("The routing policy that decided."))
    rule = serializers.CharField(
        help_text=_("What decided, e.g. pickup_store_has_all, transfer_to_pickup_store, fewest_shipments_then_nearest.")
    )
    reason = serializers.CharField(help_text=_("The decision in words, in the request's language."))
    pickup_store = serializers.CharField(allow_null=True, help_text=_("Location code of the pickup store (pickups)."))
    sources = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Location codes the goods come from: the pickup store when it had everything, else the locations "
            "sending transfers to it; for a delivery, the shipping locations."
        ),
    )
    shipments = serializers.IntegerField(allow_null=True, help_text=_("For a delivery, how many shipments."))


def routing_public(stored: dict) -> dict | None:
    """The client's view of ``Order.routing`` (what the policy stored): the documented keys only."""
    if not stored:
        return None
    rule = stored.get("rule", "")
    store = stored.get("store")
    if rule == "pickup_store_has_all":
        sources = [store]
        reason = gettext("The pickup store %(store)s has every item.") % {"store": store}
    elif rule == "transfer_to_pickup_store":
        sources = list(stored.get("sources", []))
        reason = gettext("The pickup store %(store)s lacks items: they come by transfer from %(sources)s.") % {
            "store": store,
            "sources": ", ".join(sources),
        }
    else:
        sources = list(stored.get("locations", []))
        reason = (
            ngettext(
                "%(n)d shipment, from %(sources)s: the fewest shipments, then the nearest locations that ship.",
                "%(n)d shipments, from %(sources)s: the fewest shipments, then the nearest locations that ship.",
                len(sources),
            )
            % {"n": len(sources), "sources": ", ".join(sources)}
            if rule == "fewest_shipments_then_nearest"
            else str(stored.get("detail", ""))
        )
    if stored.get("full_stores"):
        reason = f"{reason} {capacity_note(list(stored['full_stores']))}"
    return {
        "policy": str(stored.get("policy", "")),
        "rule": rule,
        "reason": str(reason),
        "pickup_store": store,
        "sources": sources,
        "shipments": stored.get("shipments"),
    }


class OrderEventSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    note = serializers.SerializerMethodField(
        help_text=_("What happened, in the request's language (picking entries say it from their details).")
    )

    class Meta:
        model = OrderEvent
        fields = ["type", "from_status", "to_status", "note", "created_at"]

    @extend_schema_field(serializers.CharField())
    def get_note(self, event: OrderEvent) -> str:
        return order_event_text(event)


class OrderSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code")
    pickup_store = serializers.CharField(source="pickup_location.code", allow_null=True, default=None)
    lines = OrderLineSerializer(source="line_list", many=True)
    subtotal = MoneyField(currency_source="currency")
    discount_total = MoneyField(currency_source="currency")
    shipping_total = MoneyField(currency_source="currency")
    total = MoneyField(currency_source="currency")
    gift_card_total = MoneyField(currency_source="currency", help_text=_("Paid by gift card."))
    store_credit_total = MoneyField(currency_source="currency", help_text=_("Paid by store credit."))
    amount_due = MoneyField(
        currency_source="currency",
        help_text=_("What the payment method pays: the total less gift card and store credit."),
    )

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "status",
            "fulfilment_type",
            "pickup_store",
            "payment_status",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "total",
            "coupon_code",
            "points_redeemed",
            "points_earned",
            "gift_card_total",
            "store_credit_total",
            "amount_due",
            "created_at",
            "lines",
        ]


class OrderDetailSerializer(OrderSerializer):
    shipping_address = StoredAddressField(read_only=True)
    routing = serializers.SerializerMethodField(
        help_text=_("How the order was routed to its locations, and why (null for orders placed without routing).")
    )
    fulfilments = FulfilmentSerializer(source="fulfilment_list", many=True)
    timeline = OrderEventSerializer(many=True)
    pickup_code = serializers.SerializerMethodField(
        help_text=_(
            "While the order is ready for pickup, the code to show in the store; only the customer who "
            "placed the order sees it (null otherwise)."
        )
    )

    pickup_expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("While the order is ready for pickup, when it must be collected by (null otherwise)."),
    )

    @extend_schema_field(RoutingSerializer(allow_null=True))
    def get_routing(self, order) -> dict | None:
        public = routing_public(order.routing)
        return None if public is None else RoutingSerializer(public).data

    def get_pickup_code(self, order) -> str | None:
        request = self.context.get("request")
        if order.status != Order.Status.READY_FOR_PICKUP or not order.pickup_code:
            return None
        if request is None or not request.user.is_authenticated:
            return None
        customer = order.customer
        return order.pickup_code if customer is not None and customer.user_id == request.user.pk else None

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "shipping_address",
            "email",
            "phone",
            "contact_name",
            "pickup_code",
            "pickup_expires_at",
            "routing",
            "fulfilments",
            "timeline",
        ]

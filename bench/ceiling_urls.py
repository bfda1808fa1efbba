"""URLs of the checkout benchmark's server: every omnishop URL plus the framework ceiling.

The ceiling (``POST /bench/ceiling/orders/``) is the least a DRF endpoint can do for a 10-line
order on omnishop's tables: authenticate a channel API key (the product's authentication class),
validate the body with a DRF serializer, and in one transaction read the variants and their
prices, insert 1 order, the lines (bulk), the allocations (bulk) and 1 event, and take the stock
with one guarded ``UPDATE ... WHERE allocated + q <= on_hand``. No routing, pricing rules,
idempotency, holds, outbox or response serializer: what is left is the framework and the writes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import connection, transaction
from django.urls import include, path
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Price, Variant
from inventory.models import Allocation, Location, StockLevel
from omnishop.apikeys.authentication import ChannelAPIKeyAuthentication
from omnishop.apikeys.models import ChannelAPIKey
from orders.models import Order, OrderEvent, OrderLine

CEILING_PATH = "/bench/ceiling/orders/"
CEILING_LOCATION = "bench-wh-1"


class _Line(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)


class _Address(serializers.Serializer):
    street = serializers.CharField(max_length=200)
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    latitude = serializers.FloatField(required=False)
    longitude = serializers.FloatField(required=False)


class _Contact(serializers.Serializer):
    email = serializers.EmailField(required=False)
    name = serializers.CharField(max_length=200, required=False)


class CeilingOrderSerializer(serializers.Serializer):
    lines = _Line(many=True, allow_empty=False)
    fulfilment_type = serializers.ChoiceField(choices=["delivery"])
    shipping_address = _Address()
    contact = _Contact()
    payment_method = serializers.ChoiceField(choices=["card"])


class _HasOrderScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ChannelAPIKey) and request.auth.has_scope("orders:write")


_location_id: list[int] = []


class CeilingOrderApi(APIView):
    authentication_classes = [ChannelAPIKeyAuthentication]
    permission_classes = [_HasOrderScope]

    def post(self, request):
        body = CeilingOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not _location_id:
            _location_id.append(Location.objects.get(code=CEILING_LOCATION).pk)
        location_id = _location_id[0]
        wanted = {line["sku"]: line["quantity"] for line in data["lines"]}
        channel = request.auth.channel
        with transaction.atomic():
            found = Variant.objects.filter(sku__in=wanted).select_related("product")
            variants = list(found.only("sku", "product__name"))
            prices = dict(
                Price.objects.filter(variant__in=variants, currency="PLN").values_list("variant_id", "amount")
            )
            if len(variants) != len(wanted) or len(prices) != len(variants):
                return Response({"detail": "unknown sku"}, status=status.HTTP_400_BAD_REQUEST)
            total = sum((prices[v.pk] * wanted[v.sku] for v in variants), Decimal(0))
            number = "BC" + uuid.uuid4().hex[:20].upper()
            order = Order.objects.create(
                number=number,
                channel=channel,
                email=data["contact"].get("email", ""),
                contact_name=data["contact"].get("name", ""),
                fulfilment_type="delivery",
                shipping_address=dict(data["shipping_address"]),
                payment_method="card",
                currency="PLN",
                subtotal=total,
                total=total,
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        variant=v,
                        sku=v.sku,
                        name=v.product.name,
                        quantity=wanted[v.sku],
                        unit_price=prices[v.pk],
                        line_total=prices[v.pk] * wanted[v.sku],
                    )
                    for v in variants
                ]
            )
            Allocation.objects.bulk_create(
                [
                    Allocation(location_id=location_id, variant=v, quantity=wanted[v.sku], reference=number)
                    for v in variants
                ]
            )
            OrderEvent.objects.create(order=order, type="placed", to_status="placed", channel=channel)
            values = ", ".join(["(%s::bigint, %s::integer)"] * len(variants))
            params = [x for v in variants for x in (v.pk, wanted[v.sku])]
            table = StockLevel._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} s SET allocated = s.allocated + w.q FROM (VALUES {values}) w(variant_id, q)"  # noqa: S608
                    " WHERE s.variant_id = w.variant_id AND s.location_id = %s AND s.allocated + w.q <= s.on_hand",
                    [*params, location_id],
                )
                taken = cursor.rowcount
            if taken != len(variants):
                transaction.set_rollback(True)
                return Response({"detail": "insufficient stock"}, status=status.HTTP_409_CONFLICT)
        return Response(
            {"number": number, "total": {"amount": str(total), "currency": "PLN"}}, status=status.HTTP_201_CREATED
        )


urlpatterns = [
    path(CEILING_PATH.strip("/") + "/", CeilingOrderApi.as_view()),
    path("", include("omnishop.urls")),
]

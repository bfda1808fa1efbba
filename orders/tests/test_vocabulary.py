"""The shared words: the admin and the API offer the same payment methods and fulfilment types."""

import pytest

from omnishop.vocabulary import CHECKOUT_PAYMENT_CHOICES, FulfilmentType, PaymentMethod
from orders.admin import PlaceOrderForm
from orders.api.serializers import OrderCreateSerializer
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_admin_place_order_form_offers_exactly_the_api_payment_methods():
    api = list(OrderCreateSerializer().fields["payment_method"].choices)
    admin = [value for value, _label in PlaceOrderForm().fields["payment_method"].choices]
    assert (
        admin
        == api
        == [value for value, _label in CHECKOUT_PAYMENT_CHOICES]
        == ["card", "blik", "transfer", "pay_in_store"]
    )
    # A marketplace's payment comes only with its import (POST /api/v1/marketplace/orders/).
    assert PaymentMethod.values == [*api, "marketplace"]


def test_the_fulfilment_types_are_one_vocabulary():
    assert Order.FulfilmentType is FulfilmentType
    api = list(OrderCreateSerializer().fields["fulfilment_type"].choices)
    admin = [value for value, _label in PlaceOrderForm().fields["fulfilment_type"].choices]
    assert admin == api == ["delivery", "click_and_collect", "ropis"]
    # A till sale is recorded by the POS (POST /api/v1/pos/sales/), never placed.
    assert FulfilmentType.values == [*api, "in_store"]

"""An agent on the phone finds the customer by the number of one of their orders."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from customers.selectors import customer_search
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_an_order_number_in_any_case_finds_its_customer():
    jan = Customer.objects.create(first_name="Jan", last_name="Kowalski", email="jan@example.pl")
    Customer.objects.create(first_name="Jan", last_name="Kowalczyk")
    Order.objects.create(
        number="WEB-2026-000042",
        channel=ChannelFactory(),
        customer=jan,
        fulfilment_type=Order.FulfilmentType.DELIVERY,
        currency="PLN",
        subtotal=Decimal("10.00"),
        total=Decimal("10.00"),
    )
    assert list(customer_search(text="web-2026-000042")) == [jan]
    assert list(customer_search(text="WEB-2026-000043")) == []

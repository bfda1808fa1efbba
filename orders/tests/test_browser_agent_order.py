"""In a real browser (Debian's chromium, headless) against a real server: an agent finds a
customer by a phone typed without spaces, opens the place-order page for them, adds a product
found by its SKU, checks the preview and confirms, and lands on the order's page.
Screenshots of the three pages at 1366x768 go to OMNISHOP_SHOTS_DIR when it is set."""

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from customers.models import Customer
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.models import User
from omnishop.accounts.roles import CUSTOMER_SERVICE_AGENT, role_permissions_sync
from omnishop.tests.live_servers import chromium_and_server
from orders.models import Order

PASSWORD = "Zielona-Herbata-42"
VIEWPORT = {"width": 1366, "height": 768}


def _shop():
    call = ChannelFactory(code="call-centre", name="Infolinia", kind=Channel.Kind.CALL_CENTRE)
    gliwice = WarehouseFactory(
        code="wh-gliwice", name="KROK Magazyn Gliwice", latitude=Decimal("50.29"), longitude=Decimal("18.67")
    )
    arkadia = LocationFactory(
        code="waw-arkadia",
        name="KROK Warszawa Arkadia",
        city="Warszawa",
        latitude=Decimal("52.257"),
        longitude=Decimal("20.984"),
    )
    boots = VariantFactory(
        product=ProductFactory(name="Buty trekkingowe Alpina Gore-Tex"), sku="ALP-GTX-42", size="42", colour="brązowy"
    )
    price_set(variant=boots, amount=Decimal("1234.50"))
    listing_publish(product=boots.product, channel=call, published_from=timezone.now() - timedelta(days=1))
    stock_receive(variant=boots, location=gliwice, quantity=12)
    stock_receive(variant=boots, location=arkadia, quantity=1)
    return call, arkadia, boots


@pytest.mark.django_db(transaction=True)
def test_an_agent_places_a_phone_order_for_a_customer_found_by_phone(tmp_path):
    role_permissions_sync()  # the roles, whatever an earlier transactional test's flush left
    _shop()
    customer = Customer.objects.create(
        first_name="Anna", last_name="Nowak", email="anna.nowak@example.pl", phone="+48601234567", city="Warszawa"
    )
    Customer.objects.create(first_name="Anna", last_name="Nowakowska", email="a.nowakowska@example.pl")
    agent = User.objects.create_user(email="agent@example.pl", password=PASSWORD, is_staff=True)
    agent.groups.add(Group.objects.get(name=CUSTOMER_SERVICE_AGENT))
    shots = Path(os.environ.get("OMNISHOP_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with chromium_and_server() as (browser, base):
        context = browser.new_context(viewport=VIEWPORT, locale="pl-PL")
        page = context.new_page()
        errors = []  # scripts refused by the CSP, failed requests (the browser's own favicon aside)
        page.on(
            "console",
            lambda message: message.type == "error" and "404" not in message.text and errors.append(message.text),
        )
        page.on(
            "response", lambda r: r.status >= 400 and "favicon" not in r.url and errors.append(f"{r.status} {r.url}")
        )
        page.goto(f"{base}/admin/login/?next=/admin/customers/customer/")
        page.fill("#id_username", agent.email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")

        # The customer list: the phone as the caller says it, without spaces or +48.
        page.fill("#searchbar", "601234567")
        with page.expect_navigation():
            page.press("#searchbar", "Enter")
        rows = page.locator("#result_list tbody tr")
        rows.first.wait_for()
        assert rows.count() == 1
        assert "Anna Nowak" in rows.first.inner_text()

        page.goto(f"{base}/admin/orders/order/place/?customer={customer.pk}")
        assert "Anna Nowak" in page.locator(".field-customer").inner_text()  # chosen already
        page.fill("#product-search", "ALP-GTX")
        result = page.locator("#product-results tr", has_text="ALP-GTX-42")
        result.wait_for()
        assert "1\u00a0234,50\u00a0zł" in result.inner_text()
        assert "KROK Magazyn Gliwice: 12" in result.inner_text()
        result.get_by_role("button", name="Dodaj").click()
        result.get_by_role("button", name="Dodaj").click()
        assert page.input_value("#id_lines").split() == ["ALP-GTX-42", "2"]
        page.select_option("#id_fulfilment_type", "click_and_collect")
        assert page.locator(".field-street").is_hidden()
        page.select_option("#id_pickup_store", label="KROK Warszawa Arkadia (waw-arkadia)")
        page.select_option("#id_payment_method", "pay_in_store")
        page.screenshot(path=str(shots / "place-order-form.png"))

        page.click("#place-preview")
        page.locator("#preview-total").wait_for()
        assert page.inner_text("#preview-total") == "2\u00a0469,00\u00a0zł"
        routing = page.inner_text("#preview-routing")
        assert "KROK Warszawa Arkadia" in routing and "KROK Magazyn Gliwice" in routing
        assert "Do odbioru od" in page.inner_text("#preview-pickup")
        page.screenshot(path=str(shots / "place-order-preview.png"))

        page.click("#place-confirm")
        page.locator("#order-status").wait_for()
        placed_url = page.url
        assert page.inner_text("#order-total") == "2\u00a0469,00\u00a0zł"
        assert "Anna Nowak" in page.inner_text("#order-customer")
        assert "Złożone" in page.inner_text("#order-timeline")
        page.screenshot(path=str(shots / "order-page.png"))

        # Cancelling asks for a reason, on a page of its own.
        page.click("#order-cancel")
        page.click("input[type=submit]")
        assert page.locator(".errorlist").count() >= 1
        page.screenshot(path=str(shots / "order-cancel.png"))
        page.fill("#id_reason", "Klientka zrezygnowała telefonicznie")
        page.click("input[type=submit]")
        page.locator("#order-status").wait_for()
        assert page.inner_text("#order-status") == "Anulowane"
        assert "Klientka zrezygnowała telefonicznie" in page.inner_text("#order-timeline")
        assert errors == []
        context.close()
    # The database is read here, not inside the browser's block: Playwright runs an event loop in
    # this thread, and a query there opens a connection of its own that would outlive the test.
    order = Order.objects.get()  # the preview wrote nothing: the confirm placed the only order
    assert re.search(rf"/admin/orders/order/{order.pk}/change/$", placed_url)
    assert (order.customer_id, order.placed_by_id, order.total) == (customer.pk, agent.pk, Decimal("2469.00"))
    assert order.status == "cancelled"

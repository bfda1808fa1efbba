"""An agent places an order in admin: the customer and products by search, a preview of the
priced cart and its routing that writes nothing, then one order however often confirm is sent."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog.services import price_set
from customers.models import Customer
from inventory.models import Allocation, StockLevel, Transfer
from omnishop.notifications.models import Notification
from omnishop.outbox.models import OutboxEvent
from orders.models import Fulfilment, Order, OrderEvent, OrderLine
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db

PLACE = "admin:orders_order_place"


def staff(client, django_user_model, email: str, role: str):
    user = django_user_model.objects.create_user(email=email, password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def agent(client, django_user_model):
    return staff(client, django_user_model, "agent@example.pl", "Customer service agent")


@pytest.fixture
def customer(db):
    return Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl", phone="+48601234567")


def pickup_data(shop, customer, **fields) -> dict:
    return {
        "customer": customer.pk,
        "channel": shop["call"].pk,
        "lines": f"{shop['variants'][0].sku} 2\n{shop['variants'][1].sku} 1",
        "fulfilment_type": "click_and_collect",
        "pickup_store": shop["waw"].pk,
        "payment_method": "pay_in_store",
        "idempotency_key": "4f1c0d2e",
    } | fields


def rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Order, OrderLine, Fulfilment, OrderEvent, Allocation, Transfer, OutboxEvent, Notification)
    } | {"allocated": sum(StockLevel.objects.values_list("allocated", flat=True))}


def test_only_users_who_may_add_orders_open_the_page_and_its_product_search(client, django_user_model, shop):
    for email, role in (("sklep@example.pl", "Store staff"), ("magazyn@example.pl", "Warehouse staff")):
        staff(client, django_user_model, email, role)
        assert client.get(reverse(PLACE)).status_code == 403
        assert client.get(reverse("admin:orders_order_place_products"), {"q": "BUT"}).status_code == 403
        assert client.post(reverse(PLACE), {"step": "confirm"}).status_code == 403
    assert not Order.objects.exists()


def test_the_customer_from_the_card_is_chosen_already(client, shop, agent, customer):
    response = client.get(reverse(PLACE), {"customer": customer.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["customer"] == customer.pk
    assert form.initial["channel"] == shop["call"].pk
    assert len(form.initial["idempotency_key"]) == 32
    page = response.content.decode()
    assert f'<option value="{customer.pk}" selected>Anna Nowak' in page  # the autocomplete's choice
    assert "admin/js/autocomplete.js" in page


def test_the_product_search_gives_the_price_and_availability_per_location(client, shop, agent):
    a = shop["variants"][0]
    price_set(variant=a, amount=Decimal("1234.50"))
    stock(a, shop["warehouse"], 7)
    stock(a, shop["waw"], 2)
    url = reverse("admin:orders_order_place_products")
    response = client.get(url, {"q": a.sku, "channel": shop["call"].pk}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    [found] = response.json()["results"]
    assert (found["sku"], found["price"], found["available"]) == (a.sku, "1\u00a0234,50\u00a0zł", 9)
    assert [loc["units"] for loc in found["locations"]] == [7, 2]
    by_name = client.get(url, {"q": "buty 1", "channel": shop["call"].pk}).json()["results"]
    assert [r["sku"] for r in by_name] == [shop["variants"][1].sku]
    assert client.get(url, {"q": a.sku}).json() == {"results": []}  # no channel, no price


def test_the_preview_shows_prices_and_routing_and_writes_nothing(client, shop, agent, customer):
    a, b = shop["variants"][:2]
    price_set(variant=a, amount=Decimal("1234.50"))
    stock(a, shop["waw"], 5)
    stock(b, shop["warehouse"], 5)  # the Warsaw store lacks it: a transfer from the warehouse
    before = rows()
    response = client.post(reverse(PLACE), pickup_data(shop, customer, step="preview"), HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200, response.context["form"].errors
    assert rows() == before  # no order, allocation, transfer, event, outbox row or notification
    preview = response.context["preview"]
    assert preview["total"] == "2\u00a0570,00\u00a0zł"  # 2 x 1 234,50 + 101,00
    assert [s.name for s in preview["sources"]] == [shop["waw"].name, shop["warehouse"].name]
    assert preview["sources"][1].transfer_to == shop["waw"].name
    assert preview["pickup_from"] is not None
    assert preview["routing_text"].startswith(
        f"Przesunięcie do sklepu odbioru {shop['waw'].name} z lokalizacji {shop['warehouse'].name}:"
    )
    page = response.content.decode()
    assert "2\u00a0570,00\u00a0zł" in page and 'value="confirm"' in page
    assert 'name="idempotency_key" value="4f1c0d2e"' in page  # carried to the confirm step


def test_confirming_twice_places_one_order(client, shop, agent, customer):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 5)
    stock(b, shop["waw"], 5)
    data = pickup_data(shop, customer, step="confirm")
    first = client.post(reverse(PLACE), data)
    second = client.post(reverse(PLACE), data)  # the double click
    order = Order.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert (order.customer, order.placed_by, order.channel) == (customer, agent, shop["call"])
    assert order.events.filter(type="placed").get().actor == agent
    assert StockLevel.objects.get(variant=a, location=shop["waw"]).allocated == 2
    # A new form (a new key) is a new order.
    client.post(reverse(PLACE), data | {"idempotency_key": "another"})
    assert Order.objects.count() == 2


def test_field_errors_and_shortages_are_shown_on_the_form(client, shop, agent, customer):
    stock(shop["variants"][0], shop["waw"], 1)
    response = client.post(reverse(PLACE), pickup_data(shop, customer, step="preview", fulfilment_type="delivery"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"street", "postal_code", "city"}
    response = client.post(reverse(PLACE), pickup_data(shop, customer, step="preview", pickup_store=""))
    needs_store = ["Click & collect and reserve & try need a pickup store."]
    assert response.context["form"].errors == {"pickup_store": needs_store}
    short = client.post(reverse(PLACE), pickup_data(shop, customer, step="preview"))
    errors = short.context["form"].non_field_errors()
    assert short.context["preview"] is None and errors
    assert shop["variants"][0].sku in errors[0] or shop["variants"][1].sku in errors[0]
    assert not Order.objects.exists()


def test_edit_goes_back_to_the_form_with_what_was_typed(client, shop, agent, customer):
    response = client.post(reverse(PLACE), pickup_data(shop, customer, step="edit"))
    assert response.status_code == 200 and response.context["preview"] is None
    assert response.context["form"]["lines"].value().startswith(shop["variants"][0].sku)
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_place_one_order(django_user_model, shop, customer):
    from django.test import Client

    from conftest import run_in_threads
    from omnishop.accounts.roles import role_permissions_sync

    role_permissions_sync()
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 5)
    stock(b, shop["waw"], 5)
    user = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Customer service agent"))
    data = pickup_data(shop, customer, step="confirm")

    def confirm(_i):
        client = Client()
        client.force_login(user)
        return client.post(reverse(PLACE), data)

    responses = run_in_threads(confirm, [(1,), (2,)])
    order = Order.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {reverse("admin:orders_order_change", args=[order.pk])}
    assert StockLevel.objects.get(variant=a, location=shop["waw"]).allocated == 2


def test_a_delivery_preview_names_its_parcel_and_its_shipping(client, shop, agent, customer):
    stock(shop["variants"][0], shop["warehouse"], 3)
    data = pickup_data(
        shop,
        customer,
        step="preview",
        lines=f"{shop['variants'][0].sku} 1",
        fulfilment_type="delivery",
        pickup_store="",
        street="Piotrkowska 1",
        postal_code="90-001",
        city="Łódź",
        payment_method="card",
    )
    response = client.post(reverse(PLACE), data, HTTP_ACCEPT_LANGUAGE="pl")
    preview = response.context["preview"]
    assert (preview["shipping_total"], preview["total"]) == ("14,99\u00a0zł", "114,99\u00a0zł")
    assert preview["routing_text"].startswith(f"{shop['warehouse'].name}: jedna przesyłka ze wszystkimi pozycjami")
    assert preview["pickup_from"] is None and not Order.objects.exists()


def test_the_product_search_costs_the_same_queries_for_more_results(client, shop, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for variant in shop["variants"]:
        stock(variant, shop["warehouse"], 2)
        stock(variant, shop["waw"], 1)
    url = reverse("admin:orders_order_place_products")

    def queries(text: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            found = client.get(url, {"q": text, "channel": shop["call"].pk}).json()["results"]
        return len(found), len(ctx.captured_queries)

    one, many = queries(shop["variants"][0].sku), queries("buty")
    assert (one[0], many[0]) == (1, 3)
    assert one[1] == many[1]


def test_the_customer_picker_finds_a_customer_by_a_phone_typed_without_spaces(client, shop, agent, customer):
    Customer.objects.create(first_name="Anna", last_name="Nowakowska", email="a.nowakowska@example.pl")
    params = {"app_label": "orders", "model_name": "order", "field_name": "customer", "term": "601 234567"}
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(customer.pk)]

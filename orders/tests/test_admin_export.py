"""The order list's CSV export: the rows the filtered list shows, in a spreadsheet-friendly
form, for those who may view orders; store staff get their stores' orders only."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from omnishop.accounts.models import User
from orders.models import Order
from orders.services import order_place
from orders.tests.conftest import ADDRESS, GUEST, stock
from orders.tests.test_pickup import confirmed_pickup, store_staff

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:orders_order_export")


def rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 (Polish letters) with the BOM
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def delivery(shop, *, variant=0, quantity=1):
    stock(shop["variants"][variant], shop["warehouse"], quantity + 4)
    return order_place(
        channel=shop["web"],
        lines={shop["variants"][variant].pk: quantity},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=GUEST,
    )


def agent(email="agent@example.pl"):
    user = User.objects.create_user(email=email, password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Customer service agent"))
    return user


def test_the_export_has_the_rows_the_filter_shows_with_plain_amounts_and_local_times(client, shop):
    placed = delivery(shop, quantity=12)  # 12 x 100.00: over a thousand
    pickup = confirmed_pickup(shop, shop["waw"])
    client.force_login(agent())
    everything = rows(client.get(EXPORT))
    assert {r["number"] for r in everything} == {placed.number, pickup.number}
    only_confirmed = rows(client.get(EXPORT + "?status__exact=confirmed"))
    assert [r["number"] for r in only_confirmed] == [pickup.number]
    row = next(r for r in everything if r["number"] == placed.number)
    assert Decimal(row["total"]) == placed.total and row["total"] == f"{placed.total:f}"  # 1200.00, no grouping
    assert row["currency"] == "PLN" and row["channel"] == "web"
    assert row["status"] == "Placed"  # the label, not the code
    local = placed.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Warsaw"))
    assert row["created"] == local.strftime("%Y-%m-%d %H:%M:%S")


def test_a_search_narrows_the_export_too(client, shop):
    first, second = delivery(shop), delivery(shop, variant=1)
    client.force_login(agent())
    assert [r["number"] for r in rows(client.get(EXPORT + f"?q={second.number}"))] == [second.number]
    assert first.number not in client.get(EXPORT + f"?q={second.number}").content.decode()


def test_store_staff_export_their_stores_orders_only(client, shop):
    own, elsewhere = confirmed_pickup(shop, shop["waw"]), confirmed_pickup(shop, shop["lodz"])
    delivery(shop)
    client.force_login(store_staff("waw@example.pl", shop["waw"]))
    assert [r["number"] for r in rows(client.get(EXPORT))] == [own.number]
    assert elsewhere.number not in client.get(EXPORT).content.decode()


def test_without_the_view_permission_there_is_no_export(client, shop):
    delivery(shop)
    user = User.objects.create_user(email="nobody@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchandiser"))  # no order permission
    client.force_login(user)
    assert client.get(EXPORT).status_code == 403


def test_the_changelist_offers_the_export_with_its_filters(client, shop):
    delivery(shop)
    client.force_login(agent())
    page = client.get(reverse("admin:orders_order_changelist") + "?status__exact=placed").content.decode()
    assert f'href="{EXPORT}?status__exact=placed"' in page


def test_the_export_query_count_does_not_grow_with_the_rows(client, shop):
    client.force_login(agent())
    delivery(shop)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get(EXPORT))) == 1
    for i in range(3):
        delivery(shop, variant=i % 3)
    confirmed_pickup(shop, shop["waw"])
    assert Order.objects.count() == 5
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(EXPORT))) == 5
    assert len(many) == len(few)

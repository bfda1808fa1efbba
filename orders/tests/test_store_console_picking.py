"""The console's picking pages: one order or a batch on one list by SKU, tap to pick, scan an EAN,
a short pick with its reason; another store's lines and orders are a 404; bounded queries."""

import pytest
from django.urls import reverse

from orders.models import FulfilmentLine
from orders.tests.conftest import stock
from orders.tests.test_picking import collect_order
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(shop, client):
    user = store_staff("sprzedawca@example.pl", shop["waw"])
    client.force_login(user)
    client.cookies["django_language"] = "pl"  # the console's default for staff
    return user


def test_pick_one_order_by_tap_scan_and_short(client, shop, seller):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 2)
    stock(b, shop["waw"], 2)
    order = collect_order(shop, shop["waw"], {a: 1, b: 2})
    url = reverse("store:picking-order", args=[order.number])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'name="ean"' in html and "autofocus" in html
    assert "Zeskanuj kod EAN" in html and "Brak…" in html
    assert (
        reverse("store:picking-order", args=[order.number])
        in client.get(reverse("store:order", args=[order.number])).content.decode()
    )

    scanned = client.post(reverse("store:picking-scan"), {"ean": b.ean, "orders": [order.pk], "next": url})
    assert scanned.status_code == 302 and scanned["Location"] == url
    line_b = FulfilmentLine.objects.get(fulfilment__order=order, order_line__variant=b)
    assert line_b.picked_quantity == 1
    client.post(reverse("store:picking-scan"), {"ean": "000", "orders": [order.pk], "next": url})
    assert "nie ma na tej liście" in client.get(url).content.decode()

    line_a = FulfilmentLine.objects.get(fulfilment__order=order, order_line__variant=a)
    client.post(reverse("store:picking-line-pick", args=[line_a.pk]), {"quantity": 1, "next": url})
    client.post(
        reverse("store:picking-line-short", args=[line_b.pk]), {"quantity": 1, "reason": "damaged", "next": url}
    )
    line_a.refresh_from_db()
    line_b.refresh_from_db()
    assert line_a.picked_quantity == 1 and (line_b.picked_quantity, line_b.short_quantity) == (1, 1)
    done = client.get(url).content.decode()
    assert "Wszystko zebrane" in done
    timeline = client.get(reverse("store:order", args=[order.number])).content.decode()
    assert f"1 x {b.sku} \u2013 brak w waw (uszkodzony)." in timeline
    assert f"Zebrano 1 x {a.sku} w waw." in timeline


def test_a_batch_is_one_list_grouped_by_sku(client, shop, seller, django_assert_max_num_queries):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 40)
    stock(b, shop["waw"], 40)
    orders = [collect_order(shop, shop["waw"], {a: 1, b: 1}) for _ in range(3)]
    chooser = client.get(reverse("store:picking-batch")).content.decode()
    assert all(o.number in chooser for o in orders)
    url = reverse("store:picking-batch")
    with django_assert_max_num_queries(20) as few:
        page = client.get(url, {"orders": [o.number for o in orders]})
    assert page.status_code == 200
    groups = page.context["groups"]
    assert [g.quantity for g in groups] == [3, 3]
    more = [collect_order(shop, shop["waw"], {a: 2}) for _ in range(6)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url, {"orders": [o.number for o in orders + more]})
    assert sum(g.quantity for g in page.context["groups"]) == 6 + 12


def test_another_stores_order_and_lines_are_404(client, shop, seller):
    a = shop["variants"][0]
    stock(a, shop["krk"], 2)
    theirs = collect_order(shop, shop["krk"], {a: 1})
    line = FulfilmentLine.objects.get(fulfilment__order=theirs)
    assert client.get(reverse("store:picking-order", args=[theirs.number])).status_code == 404
    assert client.post(reverse("store:picking-line-pick", args=[line.pk]), {"quantity": 1}).status_code == 404
    assert (
        client.post(
            reverse("store:picking-line-short", args=[line.pk]), {"quantity": 1, "reason": "missing"}
        ).status_code
        == 404
    )
    client.post(reverse("store:picking-scan"), {"ean": a.ean, "orders": [theirs.pk]})
    line.refresh_from_db()
    assert (line.picked_quantity, line.short_quantity) == (0, 0)
    assert theirs.number not in client.get(reverse("store:picking-batch")).content.decode()

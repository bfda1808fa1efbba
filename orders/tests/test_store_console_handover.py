"""The counter in the store console: find by code or by number + surname + phone digits, the
hand-over screen with refused units and the till's confirmation, the try-on visit screen."""

import pytest
from django.urls import reverse

from orders.models import Order
from orders.tests.test_handover import ready_order, store_staff

pytestmark = pytest.mark.django_db


def console(client, user):
    client.force_login(user)
    return client


def test_the_code_finds_the_order_and_the_screen_shows_customer_lines_and_amount(client, shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    c = console(client, seller)
    response = c.post(reverse("store:handover"), {"code": order.pickup_code})
    assert response.status_code == 302 and response["Location"] == reverse("store:handover-order", args=[order.number])
    assert order.pickup_code not in response["Location"]
    page = c.get(response["Location"], HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Anna Wójcik" in page and "301,00\xa0zł" in page and "Numer paragonu" in page
    assert page.count('name="refused_') == 2 and 'name="code"' not in page  # the code is known from the scan


def test_hand_over_with_a_refused_unit_needs_the_till_then_completes(client, shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    a_line = order.lines.order_by("id").first()
    c = console(client, seller)
    c.post(reverse("store:handover"), {"code": order.pickup_code})
    url = reverse("store:handover-order", args=[order.number])
    refused = c.post(url, {f"refused_{a_line.pk}": "1"})
    assert refused.status_code == 400 and "201.00" in refused.content.decode()
    assert Order.objects.get(pk=order.pk).status == "ready_for_pickup"
    done = c.post(url, {f"refused_{a_line.pk}": "1", "till_method": "cash", "receipt_number": "W1/9"})
    assert done.status_code == 302 and done["Location"] == reverse("store:order", args=[order.number])
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("completed", "paid")
    timeline = c.get(done["Location"]).content.decode()
    assert "1 x" in timeline  # the refused line on the timeline


def test_number_surname_and_phone_and_a_failed_check(client, shop):
    order, seller = ready_order(shop)
    c = console(client, seller)
    wrong = c.post(reverse("store:handover"), {"number": order.number, "surname": "Nowak", "phone_digits": "789"})
    assert wrong.status_code == 400
    found = c.post(reverse("store:handover"), {"number": order.number, "surname": "wojcik", "phone_digits": "789"})
    assert found.status_code == 302
    page = c.get(found["Location"]).content.decode()
    assert 'name="collector_name"' not in page  # the customer in person
    assert c.post(found["Location"], {}).status_code == 302
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_without_the_proof_the_screen_asks_for_the_code_and_counts_a_wrong_one(client, shop):
    order, seller = ready_order(shop)
    c = console(client, seller)
    url = reverse("store:handover-order", args=[order.number])
    assert 'name="code"' in c.get(url).content.decode()
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    assert c.post(url, {"code": wrong}).status_code == 400
    assert Order.objects.get(pk=order.pk).pickup_attempts == 1


def test_the_try_on_visit_screen(client, shop):
    order, seller = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store")
    b_line = order.lines.order_by("id").last()
    c = console(client, seller)
    c.post(reverse("store:handover"), {"code": order.pickup_code})
    url = reverse("store:handover-order", args=[order.number])
    assert 'name="kept_' in c.get(url).content.decode()
    done = c.post(url, {f"kept_{b_line.pk}": "0", "till_method": "card", "receipt_number": "K/2"})
    assert done.status_code == 302
    b_line.refresh_from_db()
    assert Order.objects.get(pk=order.pk).status == "completed" and b_line.quantity_refused == 1


def test_another_stores_order_is_not_found_and_its_screen_is_a_404(client, shop):
    order, _seller = ready_order(shop)
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    c = console(client, elsewhere)
    assert c.post(reverse("store:handover"), {"code": order.pickup_code}).status_code == 404
    assert c.get(reverse("store:handover-order", args=[order.number])).status_code == 404

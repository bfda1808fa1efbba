"""The store console's door: staff log in at /store/login/, pick their store when they work at
several, and see only the current store's orders; everyone else is turned away clearly."""

import pytest
from django.urls import reverse

from omnishop.accounts.models import User
from orders.store.access import SESSION_STORE_KEY
from orders.tests.test_pickup import confirmed_pickup, store_staff

pytestmark = pytest.mark.django_db

PASSWORD = "x-pass-123"


def test_anonymous_users_are_sent_to_the_console_login(client):
    response = client.get(reverse("store:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("store:login") + "?next=/store/")


def test_staff_log_in_with_their_staff_account_and_land_on_the_queue(client, shop):
    store_staff("sprzedawca@example.pl", shop["waw"])
    page = client.get(reverse("store:login"))
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post(reverse("store:login"), {"username": "sprzedawca@example.pl", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("store:queue")
    queue = client.get(reverse("store:queue"))
    assert queue.status_code == 200
    assert client.session[SESSION_STORE_KEY] == shop["waw"].pk  # the only store: chosen for them
    assert shop["waw"].name in queue.content.decode()


def test_a_wrong_password_is_refused_on_the_login_page(client, shop):
    store_staff("sprzedawca@example.pl", shop["waw"])
    response = client.post(reverse("store:login"), {"username": "sprzedawca@example.pl", "password": "wrong"})
    assert response.status_code == 200
    assert "e-mail and password of your staff account" in response.content.decode()


def test_a_customer_login_cannot_use_the_console(client, shop):
    User.objects.create_user(email="klient@example.pl", password=PASSWORD)
    response = client.post(reverse("store:login"), {"username": "klient@example.pl", "password": PASSWORD})
    assert response.status_code == 200  # the staff login refuses non-staff accounts


def test_staff_without_the_store_role_get_a_clear_page(client, shop):
    client.force_login(User.objects.create_user(email="biuro@example.pl", password=PASSWORD, is_staff=True))
    response = client.get(reverse("store:queue"))
    assert response.status_code == 403
    assert "not a store account" in response.content.decode()


def test_store_staff_with_no_store_get_a_clear_page_not_an_error(client, shop):
    client.force_login(store_staff("nowy@example.pl"))
    response = client.get(reverse("store:queue"))
    assert response.status_code == 200
    assert "not assigned to a store" in response.content.decode()


def test_staff_of_several_stores_choose_one_and_may_switch(client, shop):
    client.force_login(store_staff("dwa@example.pl", shop["waw"], shop["krk"]))
    response = client.get(reverse("store:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("store:choose"))
    choose = client.get(response["Location"])
    assert shop["waw"].name in choose.content.decode() and shop["krk"].name in choose.content.decode()
    client.post(reverse("store:choose"), {"store": shop["krk"].pk, "next": "/store/"})
    assert client.session[SESSION_STORE_KEY] == shop["krk"].pk
    queue = client.get(reverse("store:queue")).content.decode()
    assert 'id="store-switch"' in queue
    # A store they do not work at cannot be chosen.
    client.post(reverse("store:choose"), {"store": shop["lodz"].pk})
    assert client.session[SESSION_STORE_KEY] == shop["krk"].pk


def test_another_stores_order_is_a_404_and_the_own_one_opens(client, shop):
    own = confirmed_pickup(shop, shop["waw"])
    other = confirmed_pickup(shop, shop["krk"])
    client.force_login(store_staff("sprzedawca@example.pl", shop["waw"]))
    assert client.get(reverse("store:order", args=[own.number])).status_code == 200
    assert client.get(reverse("store:order", args=[other.number])).status_code == 404
    assert client.get(reverse("store:order", args=["nie-ma"])).status_code == 404


def test_the_console_is_polish_by_default_and_switches_to_english(client, shop, settings):
    settings.LANGUAGE_CODE = "pl"
    client.force_login(store_staff("sprzedawca@example.pl", shop["waw"]))
    page = client.get(reverse("store:queue"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert '<html lang="pl">' in page and "Kolejka" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/store/"})
    assert '<html lang="en">' in client.get(reverse("store:queue")).content.decode()


def test_console_pages_carry_no_inline_script_and_their_static_files_exist(client, shop):
    from django.contrib.staticfiles import finders

    client.force_login(store_staff("sprzedawca@example.pl", shop["waw"]))
    page = client.get(reverse("store:queue")).content.decode()
    assert "<script>" not in page and "http://" not in page and "https://" not in page
    assert finders.find("store/console.css") and finders.find("store/console.js")

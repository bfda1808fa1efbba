"""One login policy for the web, app and admin doors, on the shared cache: it holds across
server processes, locks an account whatever the address, and reads the client address from
the trusted proxies only."""

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from omnishop.accounts.models import LoginLockout, User
from omnishop.client_address import client_address
from omnishop.tests.live_servers import gunicorn_servers

PASSWORD = "Zielona-Herbata-42"


def account(email: str, **extra) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


class Door:
    """One login door of one server process, as a browser or the app uses it."""

    def __init__(self, port: int, kind: str, address: str = "198.51.100.1"):
        self.base, self.kind, self.address = f"http://127.0.0.1:{port}", kind, address

    def _open(self, opener, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(  # noqa: S310 (a loopback http:// server)
            self.base + path, data=data, headers={"X-Forwarded-For": self.address, **(headers or {})}
        )
        try:
            return opener.open(request, timeout=20)
        except urllib.error.HTTPError as exc:
            return exc

    def login(self, email: str, password: str) -> bool:
        """True when the door let the account in."""
        jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        if self.kind == "app":
            body = json.dumps({"email": email, "password": password}).encode()
            response = self._open(opener, "/_allauth/app/v1/auth/login", body, {"Content-Type": "application/json"})
            return response.status == 200
        path, field = ("/accounts/login/", "login") if self.kind == "web" else ("/admin/login/", "username")
        page = self._open(opener, path).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": csrf, field: email, "password": password}
        if self.kind == "admin":
            form["next"] = "/admin/"
        response = self._open(opener, path, urllib.parse.urlencode(form).encode(), {"Referer": self.base + path})
        return response.status == 302


@pytest.fixture
def servers(transactional_db):
    cache.clear()
    with gunicorn_servers(2, env={"OMNISHOP_TRUSTED_PROXY_COUNT": "1"}) as ports:
        yield ports
    cache.clear()


def test_five_wrong_passwords_lock_an_account_on_every_door_of_every_process(servers):
    a = account("anna@example.pl", is_staff=True)
    account("bartek@example.pl", is_staff=True)
    first, second = servers
    doors = [Door(first, "web"), Door(second, "app"), Door(first, "admin"), Door(second, "web"), Door(first, "app")]
    for door in doors:  # five wrong passwords, spread over both processes and all three doors
        assert not door.login("anna@example.pl", "wrong-password")
    # The right password is refused now, on each door of each process and from another address.
    for port in servers:
        for kind in ("web", "app", "admin"):
            assert not Door(port, kind, address="203.0.113.50").login("anna@example.pl", PASSWORD), (port, kind)
    # The same address logs another account in: a lockout is the account's, not the address's.
    for kind in ("web", "app", "admin"):
        assert Door(second, kind).login("bartek@example.pl", PASSWORD), kind
    # Staff see it.
    lockout = LoginLockout.objects.get(user=a)
    assert lockout.failures == 5 and lockout.is_locked and lockout.last_address == "198.51.100.1"


def test_guessing_from_one_address_behind_the_proxy_does_not_lock_out_other_people(servers):
    account("celina@example.pl")
    first, second = servers
    attacker = "203.0.113.66"
    for i in range(20):  # the per-address limit, with made-up e-mails
        assert not Door((first, second)[i % 2], "app", address=attacker).login(f"nobody{i}@example.pl", "x")
    assert not LoginLockout.objects.exists()  # made-up accounts write nothing
    # The attacker's address is refused, even with a right password...
    assert not Door(first, "app", address=attacker).login("celina@example.pl", PASSWORD)
    # ...while the people behind the same proxy, at their own addresses, log in.
    assert Door(second, "app", address="198.51.100.7").login("celina@example.pl", PASSWORD)
    assert Door(first, "web", address="198.51.100.8").login("celina@example.pl", PASSWORD)


@pytest.mark.django_db
def test_a_superuser_unlocks_an_account_from_the_admin(client, superuser, django_capture_on_commit_callbacks):
    from django.utils import timezone

    locked = account("dorota@example.pl")
    app = "/_allauth/app/v1/auth/login"
    for _ in range(5):
        client.post(app, {"email": "dorota@example.pl", "password": "bad"}, content_type="application/json")
    refused = client.post(app, {"email": "dorota@example.pl", "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 400 and "too_many_login_attempts" in refused.content.decode()
    lockout = LoginLockout.objects.get(user=locked)
    assert lockout.is_locked and lockout.locked_until > timezone.now()

    client.force_login(superuser)
    page = client.get("/admin/accounts/loginlockout/")
    assert page.status_code == 200 and "dorota@example.pl" in page.content.decode()
    staff = User.objects.create_user(email="staff@example.pl", password=PASSWORD, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_loginlockout"))
    staff_client = Client()
    staff_client.force_login(staff)
    staff_page = staff_client.get("/admin/accounts/loginlockout/")
    assert staff_page.status_code == 200 and 'value="unlock"' not in staff_page.content.decode()
    assert 'value="unlock"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/admin/accounts/loginlockout/", {"action": "unlock", "_selected_action": [lockout.pk]})
    assert done.status_code == 302
    assert not LoginLockout.objects.exists()
    client.logout()
    ok = client.post(app, {"email": "dorota@example.pl", "password": PASSWORD}, content_type="application/json")
    assert ok.status_code == 200, ok.content


@pytest.mark.django_db
def test_the_admin_login_door_is_under_the_same_limit(client):
    account("ewa@example.pl", is_staff=True)
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "ewa@example.pl", "password": "bad"})
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": "ewa@example.pl", "password": PASSWORD})
    assert response.status_code == 200 and "Too many failed login attempts" in response.content.decode()
    ok = client.post("/accounts/login/", {"login": "ewa@example.pl", "password": PASSWORD})
    assert ok.status_code == 200  # the web door refuses it too
    assert "Too many failed login attempts" in ok.content.decode()


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is the client's claim
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # what the client prepended is ignored
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),  # fewer hops than proxies: the leftmost a proxy wrote
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_from_the_right_of_x_forwarded_for(count, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(OMNISHOP_TRUSTED_PROXY_COUNT=count):
        assert client_address(request) == expected

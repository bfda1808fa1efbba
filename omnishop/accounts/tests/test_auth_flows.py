"""Web customers sign up with e-mail verification; the app signs in via allauth headless tokens."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from omnishop.accounts.models import User

APP = "/_allauth/app/v1"


def verification_key(message) -> str:
    match = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_web_signup_requires_email_verification(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Ewa@Example.pl", "password1": "Zielona-Herbata-42", "password2": "Zielona-Herbata-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="ewa@example.pl")
    assert not EmailAddress.objects.get(user=user).verified
    # Not signed in until the address is confirmed.
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert len(mail.outbox) == 1
    key = verification_key(mail.outbox[0])
    client.post(f"/accounts/confirm-email/{key}/")
    assert EmailAddress.objects.get(user=user).verified
    assert client.login(email="ewa@example.pl", password="Zielona-Herbata-42")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["email"] == "ewa@example.pl"


@pytest.mark.django_db
def test_app_login_returns_a_session_token_that_authenticates_the_api(client):
    user = User.objects.create_user(email="app@example.pl", password="Zielona-Herbata-42")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(
        f"{APP}/auth/login",
        {"email": "app@example.pl", "password": "Zielona-Herbata-42"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]
    from rest_framework.test import APIClient

    app = APIClient()  # no cookies: the token alone authenticates
    me = app.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200 and me.json()["email"] == "app@example.pl"
    assert app.get("/api/v1/me/", HTTP_X_SESSION_TOKEN="not-a-token").status_code in (401, 403)


@pytest.mark.django_db
def test_app_signup_waits_for_email_verification(client):
    response = client.post(
        f"{APP}/auth/signup",
        {"email": "nowy@example.pl", "password": "Zielona-Herbata-42"},
        content_type="application/json",
    )
    assert response.status_code == 401
    flows = {f["id"]: f for f in response.json()["data"]["flows"]}
    assert flows["verify_email"].get("is_pending")
    assert not EmailAddress.objects.get(email="nowy@example.pl").verified

"""The site root and the admin's "View site" lead to a start page with the back-office, the
store console and the API docs; a refused page keeps the admin's frame and offers a way back."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db


def staff(role: str) -> User:
    user = User.objects.create_user(email="merch@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_the_root_links_the_back_office_the_store_console_and_the_api_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for href in ('href="/admin/"', 'href="/store/"', 'href="/api/docs/"', 'href="/api/redoc/"'):
        assert href in page
    assert "Sign in" in page


def test_the_start_page_greets_a_signed_in_user_in_polish(client):
    client.force_login(staff("Merchandiser"))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Zaplecze" in page or "Panel" in page
    assert "merch@example.pl" in page


def test_view_site_in_the_admin_leads_to_the_start_page(client):
    client.force_login(staff("Merchandiser"))
    page = client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">View site</a>' in page
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:inventory_stocklevel_adjust"),  # a page of its own, refused without the permission
        reverse("admin:orders_order_changelist"),  # a list the role may not view
    ],
)
def test_a_refused_admin_page_keeps_the_admin_frame(client, url):
    client.force_login(staff("Merchandiser"))
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="header"' in page and "omnishop back-office" in page  # the admin's header and branding
    assert "Log out" in page  # the user links stay
    assert "does not have the permission" in page
    assert f'href="{reverse("admin:index")}"' in page
    assert "<h1>403 Forbidden</h1>" not in page


def test_a_refused_page_is_in_polish_for_polish_users(client):
    client.force_login(staff("Merchandiser"))
    response = client.get(reverse("admin:orders_order_changelist"), HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 403
    assert "Nie możesz otworzyć tej strony" in response.content.decode()

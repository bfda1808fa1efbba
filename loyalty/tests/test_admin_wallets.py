from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from loyalty.models import GiftCard, StoreCreditAccount
from loyalty.services.giftcards import giftcard_code_normalise
from loyalty.services.store_credit import store_credit_grant

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db
CARDS = reverse("admin:loyalty_giftcard_changelist")
ACCOUNTS = reverse("admin:loyalty_storecreditaccount_changelist")


def _staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="loyalty", codename__in=codenames))
    return user


def test_issue_form_calls_the_service_and_shows_the_code_once(admin_client, admin_user):
    owner = customer()
    url = reverse("admin:loyalty_giftcard_add")
    assert f'value="{owner.pk}"' in admin_client.get(url, {"customer": owner.pk}).text
    response = admin_client.post(
        url, {"amount": "200.00", "currency": "PLN", "reason": "Complaint", "customer": owner.pk}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    gift = GiftCard.objects.get()
    code = response.context["issued"]["code"]
    assert giftcard_code_normalise(code) == gift.code and code in response.text
    assert (gift.issued_by, gift.customer, gift.balance) == (admin_user, owner, Decimal("200.00"))
    assert LogEntry.objects.filter(object_id=str(gift.pk)).exists()
    page = admin_client.get(reverse("admin:loyalty_giftcard_change", args=[gift.pk])).text
    assert gift.code not in page and gift.last4 in page
    assert gift.code not in admin_client.get(CARDS).text


def test_issue_needs_a_reason_and_the_permission(client, django_user_model):
    client.force_login(_staff(django_user_model, "view_giftcard"))
    url = reverse("admin:loyalty_giftcard_add")
    assert client.get(url).status_code == 403
    client.force_login(_staff_with_issue(django_user_model))
    response = client.post(url, {"amount": "10.00", "currency": "PLN", "reason": ""})
    assert response.status_code == 200 and not GiftCard.objects.exists() and response.context["form"].errors


def _staff_with_issue(django_user_model):
    user = django_user_model.objects.create_user(email="issuer@example.pl", password="x-pass-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="loyalty", codename__in=["view_giftcard", "issue_gift_card"])
    )
    return user


def test_search_by_last4_or_full_code_only(admin_client):
    gift, code = card("10.00")
    _other, _c = card("10.00")
    found = lambda q: list(admin_client.get(CARDS, {"q": q}).context["cl"].result_list)  # noqa: E731
    assert found(gift.last4.lower()) == [gift]
    assert found(code) == [gift]
    assert found(gift.code[:8]) == []


def test_block_action_needs_a_reason_and_goes_through_the_service(admin_client):
    gift, _code = card("10.00")
    action = {"action": "block", "_selected_action": [gift.pk]}
    admin_client.post(CARDS, {**action, "reason": ""})
    assert GiftCard.objects.get().status == "active"
    admin_client.post(CARDS, {**action, "reason": "Lost"})
    gift.refresh_from_db()
    assert gift.status == "blocked" and gift.entries.filter(kind="adjust", reason="Lost").exists()


def test_grant_form_needs_a_reason_and_writes_the_ledger(admin_client, admin_user):
    anna = customer()
    url = reverse("admin:loyalty_storecreditaccount_add")
    assert (
        admin_client.post(url, {"customer": anna.pk, "amount": "30.00", "currency": "PLN", "reason": ""}).status_code
        == 200
    )
    assert not StoreCreditAccount.objects.exists()
    response = admin_client.post(url, {"customer": anna.pk, "amount": "30.00", "currency": "PLN", "reason": "Late"})
    account = StoreCreditAccount.objects.get()
    assert response.status_code == 302 and account.balance == Decimal("30.00")
    entry = account.entries.get()
    assert (entry.source, entry.actor, entry.reason) == ("agent", admin_user, "Late")
    assert "Late" in admin_client.get(reverse("admin:loyalty_storecreditaccount_change", args=[account.pk])).text


@pytest.mark.parametrize("url", [CARDS, ACCOUNTS])
def test_list_pages_keep_their_query_count(admin_client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(n, tag):
        for i in range(n):
            owner = customer(f"{tag}{i}@example.pl")
            card("10.00", customer=owner)
            store_credit_grant(customer=owner, amount=Decimal("5.00"), currency="PLN", reason="x")

    rows(2, "a")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    rows(4, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client.get(url).status_code == 200

"""The faces of coupons: "my coupons" REST (A never sees B's codes), the admin pages and the
bulk-generation CSV, and the 360° card's section with the agent's "give a personal coupon"."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.services import customer_for_user_ensure
from loyalty.models import Coupon
from loyalty.services.coupons import coupon_redeem
from omnishop.accounts.tests.factories import UserFactory

from .promotions_factories import CouponFactory, CustomerFactory, PromotionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/coupons/"


def test_my_coupons_lists_mine_never_anothers(api_client):
    anna_user, jan_user = UserFactory(), UserFactory()
    anna, jan = customer_for_user_ensure(user=anna_user), customer_for_user_ensure(user=jan_user)
    CouponFactory(code="ANNA-1", customer=anna, single_use=True, promotion=PromotionFactory(value=Decimal("15")))
    CouponFactory(code="JAN-1", customer=jan, single_use=True)
    CouponFactory(code="PUBLIC", promotion=PromotionFactory(kind="fixed", value=Decimal("20")))
    api_client.force_authenticate(anna_user)
    response = api_client.get(URL)
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows) == {"ANNA-1", "PUBLIC"}
    assert rows["ANNA-1"]["personal"] is True and rows["ANNA-1"]["gives"] == "15% off"
    assert rows["ANNA-1"]["remaining_uses"] == 1 and rows["PUBLIC"]["remaining_uses"] is None
    assert rows["PUBLIC"]["value"] == "20.00"
    api_client.force_authenticate(jan_user)
    assert "ANNA-1" not in {row["code"] for row in api_client.get(URL).json()}


def test_my_coupons_needs_signing_in(api_client):
    assert api_client.get(URL).status_code in (401, 403)


def test_b_cannot_spend_as_a_personal_code_leaves_the_list_when_used(api_client):
    from loyalty.exceptions import CouponInvalid

    anna_user = UserFactory()
    anna, jan = customer_for_user_ensure(user=anna_user), CustomerFactory()
    CouponFactory(code="ANNA-2", customer=anna, single_use=True)
    with pytest.raises(CouponInvalid):
        coupon_redeem(
            code="ANNA-2", customer=jan, channel_code="web", reference="N1", amount=Decimal("1"), currency="PLN"
        )
    coupon_redeem(code="ANNA-2", customer=anna, channel_code="web", reference="N2", amount=Decimal("1"), currency="PLN")
    api_client.force_authenticate(anna_user)
    assert api_client.get(URL).json() == []


def _seed(n: int):
    promotion = PromotionFactory()
    for i in range(n):
        customer = CustomerFactory()
        coupon = CouponFactory(promotion=promotion, customer=customer, single_use=True)
        coupon_redeem(
            code=coupon.code, customer=customer, channel_code="web", reference=f"R{coupon.pk}-{i}",
            amount=Decimal("5"), currency="PLN",
        )  # fmt: skip
    return promotion


@pytest.mark.parametrize("name", ["loyalty_promotion", "loyalty_coupon", "loyalty_couponredemption"])
def test_admin_lists_hold_their_query_count_as_rows_double(admin_client, name, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"admin:{name}_changelist")
    _seed(3)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    _seed(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client.get(url).status_code == 200


def test_promotion_page_with_coupons_inline_holds_its_query_count(admin_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small, large = _seed(2), _seed(8)
    admin_client.get(reverse("admin:loyalty_promotion_change", args=[small.pk]))
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse("admin:loyalty_promotion_change", args=[small.pk]))
    assert "Generate single-use codes" in response.text
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert admin_client.get(reverse("admin:loyalty_promotion_change", args=[large.pk])).status_code == 200


def test_redemptions_are_read_only_in_admin(admin_client):
    _seed(1)
    assert admin_client.get(reverse("admin:loyalty_couponredemption_add")).status_code == 403


def test_bulk_generate_downloads_a_csv_and_is_in_the_history(admin_client, admin_user):
    promotion = PromotionFactory(name="Wiosna")
    anna, jan = CustomerFactory(), CustomerFactory()
    url = reverse("admin:loyalty_promotion_generate", args=[promotion.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"prefix": "WIO-", "customers": f"{anna.pk}\n{jan.email}"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["customer ID"] for row in rows} == {str(anna.pk), str(jan.pk)}
    assert all(row["code"].startswith("WIO-") for row in rows)
    assert Coupon.objects.filter(promotion=promotion).count() == 2
    assert LogEntry.objects.filter(object_id=str(promotion.pk), user=admin_user).exists()
    response = admin_client.post(url, {"count": "30"})
    assert len(list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))) == 30
    response = admin_client.post(url, {"customers": "nobody@example.pl"})
    assert response.status_code == 200 and "Unknown customers" in response.text


def test_coupon_export_is_csv(admin_client):
    _seed(2)
    response = admin_client.get(reverse("admin:loyalty_coupon_export"))
    assert response.status_code == 200 and b"code" in response.content


@pytest.fixture
def agent(client):
    user = UserFactory(is_staff=True)
    for codename in ("view_customer", "view_coupon", "give_coupon"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return user


def _card_action(pk: int) -> str:
    return reverse("admin:customers_customer_card_action", args=[pk, "coupons", "give"])


def test_agent_gives_a_personal_coupon_from_the_card(client, agent):
    customer = CustomerFactory()
    promotion = PromotionFactory(name="Przeprosiny")
    card = reverse("admin:customers_customer_change", args=[customer.pk])
    assert "Give a personal coupon" in client.get(card).text
    client.post(_card_action(customer.pk), {"promotion": promotion.pk, "reason": ""})
    assert not Coupon.objects.filter(customer=customer).exists()
    client.post(_card_action(customer.pk), {"promotion": promotion.pk, "reason": "Late parcel"})
    coupon = Coupon.objects.get(customer=customer)
    assert coupon.reason == "Late parcel" and coupon.given_by == agent
    page = client.get(card).text
    assert coupon.code in page and "Late parcel" in page


def test_giving_needs_the_permission(client):
    user = UserFactory(is_staff=True)
    for codename in ("view_customer", "view_coupon"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    customer = CustomerFactory()
    assert (
        "Give a personal coupon" not in client.get(reverse("admin:customers_customer_change", args=[customer.pk])).text
    )
    client.post(_card_action(customer.pk), {"promotion": PromotionFactory().pk, "reason": "x"})
    assert not Coupon.objects.filter(customer=customer).exists()


def test_card_section_queries_do_not_grow(client, agent, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = CustomerFactory()
    promotion = PromotionFactory()
    card = reverse("admin:customers_customer_change", args=[customer.pk])
    CouponFactory(customer=customer, promotion=promotion, single_use=True)
    client.get(card)
    with CaptureQueriesContext(connection) as small:
        client.get(card)
    for i in range(25):
        coupon = CouponFactory(customer=customer, promotion=PromotionFactory(), single_use=True)
        coupon_redeem(
            code=coupon.code,
            customer=customer,
            channel_code="web",
            reference=f"N{i}",
            amount=Decimal("1"),
            currency="PLN",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(card).status_code == 200

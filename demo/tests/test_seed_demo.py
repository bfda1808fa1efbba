import io
import math
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F

from catalog.models import Category, Channel, ChannelListing, Price, PriceHistory, Product, Variant
from catalog.validators import gtin_is_valid
from customers.models import Customer
from demo.seed import (
    BASE_CUSTOMERS,
    BASE_PRODUCTS,
    DEMO_API_KEY_SCOPES,
    DEMO_PASSWORD,
    customer_rows,
    demo_totals,
    product_plans,
)
from inventory.models import Location
from omnishop.accounts.roles import ROLE_NAMES
from omnishop.apikeys.models import ChannelAPIKey

WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
# Rough city centres: every store must lie within a few km of its city (catches swapped or mistyped coordinates).
CITY_CENTRES = {
    "Warszawa": (52.2297, 21.0122),
    "Kraków": (50.0614, 19.9366),
    "Łódź": (51.7592, 19.4560),
    "Wrocław": (51.1079, 17.0385),
    "Poznań": (52.4064, 16.9252),
    "Gdańsk": (54.3520, 18.6466),
    "Szczecin": (53.4285, 14.5528),
    "Lublin": (51.2465, 22.5684),
    "Katowice": (50.2649, 19.0238),
    "Białystok": (53.1325, 23.1688),
    "Stryków": (51.9007, 19.6030),
    "Gliwice": (50.2945, 18.6714),
}


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", force=True, no_progress=True, stdout=out, **options)
    return out.getvalue()


def distance_km(lat1, lon1, lat2, lon2) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (float(lat1), float(lon1), float(lat2), float(lon2)))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def inside_poland(location) -> bool:
    return Decimal("49.0") <= location.latitude <= Decimal("54.9") and Decimal("14.1") <= location.longitude <= Decimal(
        "24.2"
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seeding at scale 1 shared by the module, rolled back when the module is done."""
    # Marked like Django's TestCase marks its own block, so the checkout's durable transactions
    # (order_place) may run inside it, as they do inside every test's block.
    block = transaction.atomic()
    block._from_testcase = True
    with django_db_blocker.unblock(), block:
        output = seed()
        yield output
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_stores_in_polish_cities_with_real_coordinates(seeded):
    stores = list(Location.objects.filter(kind=Location.Kind.STORE))
    assert len(stores) >= 8
    assert len({store.city for store in stores}) >= 8
    for store in stores:
        assert inside_poland(store), store
        assert distance_km(store.latitude, store.longitude, *CITY_CENTRES[store.city]) < 10, store
        assert store.latitude.as_tuple().exponent == -6
        assert store.click_and_collect
        assert set(store.opening_hours) == WEEKDAYS
        assert store.opening_hours["sun"] is None  # Sunday trading ban
    assert any(store.ship_from_store for store in stores)
    assert not all(store.ship_from_store for store in stores)


def test_two_warehouses_ship_online(seeded):
    warehouses = list(Location.objects.filter(kind=Location.Kind.WAREHOUSE))
    assert len(warehouses) == 2
    for warehouse in warehouses:
        assert inside_poland(warehouse)
        assert distance_km(warehouse.latitude, warehouse.longitude, *CITY_CENTRES[warehouse.city]) < 10
        assert warehouse.ships_online and not warehouse.click_and_collect


def test_channels(seeded):
    channels = {c.code: c for c in Channel.objects.all()}
    assert set(channels) == {"web", "app", "store", "call_centre", "allegro", "b2b"}
    assert {c.currency for c in channels.values()} == {"PLN"}
    assert channels["web"].name == "Sklep internetowy"
    assert channels["store"].kind == Channel.Kind.STORE
    assert channels["allegro"].kind == Channel.Kind.MARKETPLACE and channels["allegro"].api_key_required
    assert ChannelAPIKey.objects.filter(channel=channels["allegro"], revoked=False).count() == 1
    assert "API key for channel allegro" in seeded


def test_category_tree_products_sit_in_leaves(seeded):
    assert Category.objects.get_root_nodes().count() == 4
    leaves = Category.objects.filter(numchild=0)
    assert leaves.count() >= 15
    footwear = Category.objects.get(slug="obuwie")
    assert Category.objects.get_children(footwear).filter(name="Buty do biegania").exists()
    # The gift card sits in the accessories root (it has no leaf of its own).
    assert not Product.objects.filter(is_gift_card=False).exclude(category__in=leaves).exists()


def test_products_with_two_to_six_variants_and_valid_eans(seeded):
    assert Product.objects.count() >= BASE_PRODUCTS
    goods = Product.objects.filter(is_gift_card=False)
    counts = set(goods.annotate(n=Count("variants")).values_list("n", flat=True))
    assert min(counts) >= 2 and max(counts) <= 6
    eans = list(Variant.objects.values_list("ean", flat=True))
    assert all(ean and len(ean) == 13 and ean.startswith("590") and gtin_is_valid(ean) for ean in eans)
    assert len(set(eans)) == len(eans)
    assert Product.objects.filter(name__startswith="Buty do biegania").exists()


def test_every_variant_has_a_pln_price_with_history(seeded):
    variants = Variant.objects.count()
    prices = list(Price.objects.filter(currency="PLN"))
    assert len(prices) == variants
    assert all(isinstance(p.amount, Decimal) and p.amount > 0 and p.amount.as_tuple().exponent == -2 for p in prices)
    history = dict(PriceHistory.objects.filter(currency="PLN", old_amount=None).values_list("variant_id", "new_amount"))
    assert history == {p.variant_id: p.amount for p in prices}


def test_listings_most_everywhere_some_on_allegro_and_b2b(seeded):
    products = Product.objects.count()
    listed = {
        row["channel__code"]: row["n"] for row in ChannelListing.objects.values("channel__code").annotate(n=Count("id"))
    }
    assert listed["web"] == products
    for code in ("app", "store", "call_centre"):
        assert listed[code] > products * 0.7
    for code in ("allegro", "b2b"):
        assert 0 < listed[code] < products * 0.6
    assert ChannelListing.objects.published().count() == sum(listed.values())


def test_customers_with_polish_names_a_third_with_login(seeded):
    customers = list(Customer.objects.select_related("user"))
    assert len(customers) >= BASE_CUSTOMERS
    with_login = [c for c in customers if c.user_id]
    assert len(with_login) == BASE_CUSTOMERS // 3
    assert any(set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ") & set(c.first_name + c.last_name) for c in customers)
    user = with_login[0].user
    assert user.email == with_login[0].email and not user.is_staff
    assert user.check_password(DEMO_PASSWORD)
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()


def test_one_staff_login_per_role_and_a_superuser(seeded):
    User = get_user_model()
    for role in ROLE_NAMES:
        members = User.objects.filter(groups__name=role, email__endswith="@omnishop.demo")
        assert members.count() == 1, role
        member = members.get()
        assert member.is_staff and not member.is_superuser
        assert member.check_password(DEMO_PASSWORD)
    admin = User.objects.get(email="admin@omnishop.demo")
    assert admin.is_staff and admin.is_superuser
    store = User.objects.get(email="store@omnishop.demo")
    assert store.is_staff and store.groups.filter(name="Store staff").exists()


def test_orders_from_every_channel_along_their_lifecycle(seeded):
    from inventory.selectors import stock_drift_list
    from orders.models import Order

    orders = Order.objects.all()
    assert orders.count() >= 80  # of 120 attempts, a few find an item sold out
    assert set(orders.values_list("channel__code", flat=True)) == {"web", "app", "store", "call_centre"}
    assert set(orders.values_list("fulfilment_type", flat=True)) == {"delivery", "click_and_collect", "ropis"}
    statuses = set(orders.values_list("status", flat=True))
    assert {"confirmed", "shipped", "completed", "awaiting_transfer", "ready_for_pickup"} <= statuses
    assert orders.filter(fulfilment_type__in=["click_and_collect", "ropis"], status="completed").exists()
    seller = get_user_model().objects.get(email="store@omnishop.demo")
    assert set(seller.stores.values_list("city", flat=True)) == {"Warszawa"}
    assert orders.filter(channel__code="call_centre").exclude(placed_by__email="agent@omnishop.demo").count() == 0
    assert all(o.events.exists() for o in orders.prefetch_related("events")[:20])
    assert stock_drift_list() == []  # every unit sold or promised is in the books


def test_the_demo_orders_reach_back_months_and_open_ones_are_recent(seeded):
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.utils import timezone

    from orders.models import Order, OrderEvent

    demo = Order.objects.filter(idempotency_key__startswith="demo-order:")
    span = demo.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] > timedelta(days=90)  # date filters and KPIs have a history
    months = {(o.year, o.month) for o in demo.values_list("created_at", flat=True)}
    assert len(months) >= 4
    open_ = demo.filter(status__in=["confirmed", "processing", "awaiting_transfer", "ready_for_pickup"])
    assert open_.exists() and not open_.filter(created_at__lt=timezone.now() - timedelta(days=2)).exists()
    assert not open_.filter(status="ready_for_pickup", pickup_expires_at__lt=timezone.now()).exists()
    # The timeline moved with its order: no event before the order was placed.
    early = OrderEvent.objects.filter(order__in=demo, created_at__lt=F("order__created_at") - timedelta(seconds=1))
    assert not early.exists()


def test_the_demo_store_login_finds_a_queue_in_every_state(seeded, client):
    from inventory.selectors import stock_drift_list
    from orders.store_selectors import store_queue

    store = Location.objects.get(code="waw-arkadia")
    queue = store_queue(store=store)
    counts = {group.key: group.count for group in queue.groups}
    assert all(counts.values()), counts
    kinds = queue.group("to_pick").kinds
    assert kinds["click_and_collect"] and kinds["ropis"] and kinds["ship_from_store"], kinds
    ready = queue.group("ready")
    assert ready.items[0].overdue and any(item.due_soon for item in ready.items)
    placed = sorted(item.order.created_at for group in queue.groups for item in group.items)
    assert placed[-1] - placed[0] > timedelta(days=1)  # spread over the last days, not one instant
    assert stock_drift_list() == []
    client.force_login(get_user_model().objects.get(email="store@omnishop.demo"))
    client.post("/store/choose/", {"store": store.pk})
    page = client.get("/store/")
    assert page.status_code == 200 and queue.group("ready").items[0].order.number in page.content.decode()


def test_a_store_count_came_through_the_stock_sync(seeded):
    from inventory.models import StockMovement, StockSync

    sync = StockSync.objects.get()
    assert (sync.mode, sync.error_policy, sync.failed) == ("absolute", "reject_failed", 1)
    assert sync.applied + sync.unchanged + sync.failed == sync.received > 1
    assert list(sync.errors) == [f"rows.{sync.received - 1}.sku"]
    assert StockMovement.objects.filter(reference=f"sync:{sync.sync_id}", kind="count").count() == sync.applied


def test_summary_lists_admin_url_and_logins(seeded):
    assert "http://127.0.0.1:8000/admin/" in seeded
    assert "http://127.0.0.1:8000/store/" in seeded  # the store console
    for email in ("admin@omnishop.demo", "agent@omnishop.demo", "store@omnishop.demo", "merch@omnishop.demo"):
        assert email in seeded
    assert DEMO_PASSWORD in seeded


def test_second_run_creates_nothing(seeded):
    User = get_user_model()
    before = demo_totals() | {"users": User.objects.count(), "emails": EmailAddress.objects.count()}
    output = seed()
    after = demo_totals() | {"users": User.objects.count(), "emails": EmailAddress.objects.count()}
    assert after == before
    assert "API key for channel" not in output


def test_a_new_api_key_replaces_the_demo_key_and_has_what_the_examples_need(seeded, api_client):
    old = ChannelAPIKey.objects.get(channel__code="allegro", revoked=False)
    assert sorted(old.scopes) == sorted(DEMO_API_KEY_SCOPES) == ["orders:write", "stock:read", "stock:sync"]
    output = seed(new_api_key=True, verbosity=0)
    plain = re.fullmatch(r"API key for channel allegro \(shown only now\): (\S+)", output.splitlines()[0]).group(1)
    assert "docs/api.md" in output.splitlines()[-1]
    old.refresh_from_db()
    assert old.revoked
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {plain}"}
    assert api_client.get("/api/v1/channel/", **headers).json()["code"] == "allegro"
    assert api_client.get("/api/v1/orders/", **headers).status_code == 200


def test_second_run_keeps_a_changed_password(seeded):
    User = get_user_model()
    agent = User.objects.get(email="agent@omnishop.demo")
    agent.set_password("changed-by-the-agent")
    agent.save()
    seed()
    agent.refresh_from_db()
    assert agent.check_password("changed-by-the-agent")


def test_scale_two_doubles_and_keeps_the_first_half(seeded):
    first = Product.objects.get(slug=product_plans(1)[0].slug)
    seed(scale=2)
    assert Product.objects.filter(is_gift_card=False).count() == 2 * BASE_PRODUCTS
    assert Customer.objects.count() == 2 * BASE_CUSTOMERS
    assert Product.objects.get(pk=first.pk).name == first.name
    assert Variant.objects.count() == Price.objects.count()


@pytest.mark.parametrize("scale", [0, -1, 10**6])
def test_scale_out_of_range_is_refused(scale):
    with pytest.raises(CommandError, match="--scale"):
        seed(scale=scale)


def test_refuses_when_debug_is_off_without_force(settings):
    settings.DEBUG = False
    before = demo_totals()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", no_progress=True, stdout=io.StringIO())
    assert demo_totals() == before


def test_content_is_deterministic_and_prefix_stable():
    assert product_plans(40) == product_plans(80)[:40]
    assert customer_rows(30) == customer_rows(60)[:30]
    assert len({row.email for row in customer_rows(300)}) == 300

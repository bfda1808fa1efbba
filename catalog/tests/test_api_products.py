from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Variant
from catalog.services import listing_publish, price_set
from catalog.tests.factories import BrandFactory

URL = "/api/v1/products/"


def names(response):
    return sorted(p["name"] for p in response.json()["results"])


@pytest.mark.django_db
def test_list_shape_with_variants_and_channel_price(api_client, channels, product_maker):
    product = product_maker(channels=[channels["web"]], prices=[Decimal("199.99"), Decimal("149.50")], name="Bieg")
    response = api_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    item = body["results"][0]
    assert item["id"] == product.id and item["name"] == "Bieg"
    assert item["price_range"] == {
        "min": {"amount": "149.50", "currency": "PLN"},
        "max": {"amount": "199.99", "currency": "PLN"},
    }
    assert [v["price"] for v in item["variants"]] == [
        {"amount": "199.99", "currency": "PLN"},
        {"amount": "149.50", "currency": "PLN"},
    ]
    assert set(item["variants"][0]) == {"id", "sku", "ean", "name", "size", "colour", "attributes", "price"}
    assert item["listing"]["published_until"] is None


@pytest.mark.django_db
def test_price_change_is_visible_at_once_on_every_channel(api_client, channels, product_maker, user):
    pln_channels = [channels[c] for c in ("web", "app", "store", "call-centre")]
    product = product_maker(channels=pln_channels, prices=[Decimal("299.00")])
    variant = product.variants.get()
    for channel in pln_channels:
        price = api_client.get(URL, HTTP_X_CHANNEL=channel.code).json()["results"][0]["variants"][0]["price"]
        assert price == {"amount": "299.00", "currency": "PLN"}

    price_set(variant=variant, amount=Decimal("249.00"), actor=user, reason="Black Friday")

    for channel in pln_channels:
        for request_kwargs in ({"HTTP_X_CHANNEL": channel.code}, {"data": {"channel": channel.code}}):
            detail = api_client.get(f"{URL}{product.id}/", **request_kwargs).json()
            assert detail["variants"][0]["price"] == {"amount": "249.00", "currency": "PLN"}, channel.code


@pytest.mark.django_db
def test_channel_in_another_currency_sees_its_currency(api_client, channels, product_maker):
    product_maker(channels=[channels["web"], channels["web-de"]], prices=[Decimal("100.00")], eur=Decimal("23.00"))
    product_maker(channels=[channels["web-de"]], prices=[Decimal("50.00")], name="No EUR price")
    body = api_client.get(URL, HTTP_X_CHANNEL="web-de", data={"ordering": "name"}).json()
    priced, unpriced = body["results"][1], body["results"][0]
    assert priced["variants"][0]["price"] == {"amount": "23.00", "currency": "EUR"}
    assert unpriced["name"] == "No EUR price"
    assert unpriced["price_range"] is None and unpriced["variants"][0]["price"] is None


@pytest.mark.django_db
def test_only_products_published_now_in_the_channel(api_client, channels, product_maker):
    product_maker(channels=[channels["web"]], name="Listed")
    product_maker(channels=[channels["app"]], name="App only")
    future = product_maker(channels=[], name="Next week")
    listing_publish(product=future, channel=channels["web"], published_from=timezone.now() + timedelta(days=7))
    ended = product_maker(channels=[], name="Ended")
    listing_publish(
        product=ended,
        channel=channels["web"],
        published_from=timezone.now() - timedelta(days=30),
        published_until=timezone.now() - timedelta(days=1),
    )
    inactive = product_maker(channels=[channels["web"]], name="Inactive")
    inactive.is_active = False
    inactive.save()
    assert names(api_client.get(URL)) == ["Listed"]
    assert names(api_client.get(URL, HTTP_X_CHANNEL="app")) == ["App only"]
    assert api_client.get(f"{URL}{future.slug}/").status_code == 404


@pytest.mark.django_db
def test_inactive_variants_are_hidden_and_do_not_set_the_price_range(api_client, channels, product_maker):
    product = product_maker(channels=[channels["web"]], prices=[Decimal("10.00"), Decimal("90.00")])
    Variant.objects.filter(product=product, prices__amount=Decimal("10.00")).update(is_active=False)
    item = api_client.get(URL).json()["results"][0]
    assert len(item["variants"]) == 1
    assert item["price_range"]["min"]["amount"] == "90.00"


@pytest.mark.django_db
def test_filter_by_category_includes_subcategories(api_client, channels, product_maker, category_tree):
    web = [channels["web"]]
    product_maker(channels=web, name="Road", category=category_tree["running"])
    product_maker(channels=web, name="Mountain", category=category_tree["trail"])
    product_maker(channels=web, name="Boots", category=category_tree["shoes"])
    product_maker(channels=web, name="Shirt", category=category_tree["clothes"])
    assert names(api_client.get(URL, {"category": "obuwie"})) == ["Boots", "Mountain", "Road"]
    assert names(api_client.get(URL, {"category": "buty-do-biegania"})) == ["Mountain", "Road"]
    assert names(api_client.get(URL, {"category": "trail"})) == ["Mountain"]


@pytest.mark.django_db
def test_text_search_over_name_brand_description_sku_and_ean(api_client, channels, product_maker):
    web = [channels["web"]]
    product_maker(channels=web, name="Kurtka zimowa")
    product_maker(channels=web, name="Other", brand=BrandFactory(name="Góral"))
    product_maker(channels=web, name="Described", description="wodoodporna membrana")
    coded = product_maker(channels=web, name="By code")
    variant = coded.variants.get()
    assert names(api_client.get(URL, {"q": "kurtka"})) == ["Kurtka zimowa"]
    assert names(api_client.get(URL, {"q": "góral"})) == ["Other"]
    assert names(api_client.get(URL, {"q": "membrana"})) == ["Described"]
    assert names(api_client.get(URL, {"q": variant.sku.lower()})) == ["By code"]
    assert names(api_client.get(URL, {"q": variant.ean})) == ["By code"]


@pytest.mark.django_db
def test_price_range_filter_uses_the_channel_currency(api_client, channels, product_maker):
    web = [channels["web"], channels["web-de"]]
    product_maker(channels=web, name="Cheap", prices=[Decimal("49.99")], eur=Decimal("12.00"))
    product_maker(channels=web, name="Mid", prices=[Decimal("150.00"), Decimal("500.00")], eur=Decimal("35.00"))
    product_maker(channels=web, name="Dear", prices=[Decimal("999.00")], eur=Decimal("230.00"))
    assert names(api_client.get(URL, {"price_min": "100", "price_max": "200"})) == ["Mid"]
    assert names(api_client.get(URL, {"price_min": "500"})) == ["Dear", "Mid"]
    assert names(api_client.get(URL, {"price_max": "49.99"})) == ["Cheap"]
    assert names(api_client.get(URL, {"price_min": "30", "price_max": "40"}, HTTP_X_CHANNEL="web-de")) == ["Mid"]
    ordered = api_client.get(URL, {"ordering": "-price"}).json()["results"]
    assert [p["name"] for p in ordered] == ["Dear", "Mid", "Cheap"]


@pytest.mark.django_db
def test_brand_filter(api_client, channels, product_maker):
    brand = BrandFactory(name="Sokół", slug="sokol")
    product_maker(channels=[channels["web"]], name="A", brand=brand)
    product_maker(channels=[channels["web"]], name="B")
    assert names(api_client.get(URL, {"brand": "sokol"})) == ["A"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price_min": "abc"}, "price_min"),
        ({"price_min": "-5"}, "price_min"),
        ({"price_min": "200", "price_max": "100"}, "price_min"),
        ({"category": "no-such-category"}, "category"),
        ({"ordering": "hacked"}, "ordering"),
        ({"page_size": "10", "page": "999"}, None),
    ],
)
def test_bad_filters_get_a_400_or_404_error_body(api_client, channels, product_maker, params, field):
    product_maker(channels=[channels["web"]])
    response = api_client.get(URL, params)
    body = response.json()
    assert set(body) == {"type", "title", "detail", "errors"}
    if field is None:
        assert response.status_code == 404 and body["type"] == "not_found"
    else:
        assert response.status_code == 400, body
        assert body["type"] == "validation_error"
        assert field in body["errors"] and body["errors"][field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "key"), [({"HTTP_X_CHANNEL": "nope"}, "X-Channel"), ({"QUERY_STRING": "channel=nope"}, "channel")]
)
def test_an_unknown_channel_is_the_400_unknown_channel_the_schema_documents(api_client, channels, where, key):
    response = api_client.get(URL, **where)
    assert response.status_code == 400
    assert response.json() == {
        "type": "unknown_channel",
        "title": "Unknown channel.",
        "detail": "Unknown channel nope.",
        "errors": {key: ["Unknown channel nope."]},
    }
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["get"]
    assert "unknown_channel" in operation["responses"]["400"]["description"]
    header = next(p for p in operation["parameters"] if p["name"] == "X-Channel")
    assert "unknown_channel" in header["description"]


@pytest.mark.django_db
def test_inactive_channel_is_refused(api_client, channels):
    channels["app"].is_active = False
    channels["app"].save()
    response = api_client.get(URL, HTTP_X_CHANNEL="app")
    assert response.status_code == 403 and response.json()["type"] == "channel_inactive"


@pytest.mark.django_db
def test_detail_by_id_and_slug_and_404_body(api_client, channels, product_maker):
    product = product_maker(channels=[channels["web"]], name="Detail")
    assert api_client.get(f"{URL}{product.id}/").json()["slug"] == product.slug
    assert api_client.get(f"{URL}{product.slug}/").json()["id"] == product.id
    response = api_client.get(f"{URL}does-not-exist/")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    assert api_client.get(f"{URL}{product.id}/", HTTP_X_CHANNEL="app").status_code == 404


@pytest.mark.django_db
def test_pagination_and_page_size_limit(api_client, channels, product_maker):
    for i in range(5):
        product_maker(channels=[channels["web"]], name=f"P{i}")
    body = api_client.get(URL, {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    body = api_client.get(URL, {"page_size": 1000}).json()
    assert len(body["results"]) == 5  # capped at 100, fewer exist


def _seed(channels, product_maker, n, start=0):
    for i in range(start, start + n):
        product_maker(
            channels=[channels["web"]],
            name=f"Product {i:03d}",
            prices=[Decimal("10.00") + i, Decimal("20.00") + i, Decimal("30.00") + i],
        )


@pytest.mark.django_db
def test_list_query_count_is_constant_in_page_size_and_rows(
    api_client, channels, product_maker, django_assert_num_queries
):
    _seed(channels, product_maker, 5)
    # channel, count, page ids, products, variants, variant prices
    with django_assert_num_queries(6):
        assert len(api_client.get(URL, {"page_size": 5}).json()["results"]) == 5
    _seed(channels, product_maker, 25, start=5)
    with django_assert_num_queries(6):
        assert len(api_client.get(URL, {"page_size": 30}).json()["results"]) == 30
    with django_assert_num_queries(6):
        api_client.get(URL, {"page_size": 30, "q": "Product", "price_min": "1", "ordering": "-price"})


@pytest.mark.django_db
def test_detail_query_count(api_client, channels, product_maker, django_assert_num_queries):
    product = product_maker(channels=[channels["web"]], prices=[Decimal(i) for i in range(1, 9)])
    # channel, id lookup, product, variants, prices
    with django_assert_num_queries(5):
        assert api_client.get(f"{URL}{product.id}/").status_code == 200


@pytest.mark.django_db
def test_categories_tree(api_client, category_tree):
    body = api_client.get("/api/v1/categories/").json()
    assert [(c["slug"], c["depth"], c["parent"]) for c in body] == [
        ("obuwie", 1, None),
        ("buty-do-biegania", 2, "obuwie"),
        ("trail", 3, "buty-do-biegania"),
        ("odziez", 1, None),
    ]


@pytest.mark.django_db
def test_api_root_lists_links(api_client, channels):
    links = api_client.get("/api/v1/").json()["links"]
    assert links["products"].endswith("/api/v1/products/")
    assert links["docs"].endswith("/api/docs/")

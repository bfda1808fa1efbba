"""Product and variant attributes are edited in admin as name/value rows, not a JSON box."""

import pytest
from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import ProductFactory, VariantFactory
from omnishop.tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


def post_rows(admin_client, url, rows):
    response = admin_client.get(url)
    data = admin_form_data(response)
    data["attributes_key"] = [k for k, _v in rows]
    data["attributes_value"] = [v for _k, v in rows]
    return admin_client.post(url, data)


def test_the_product_page_shows_the_attributes_as_rows(admin_client):
    product = ProductFactory(attributes={"material": "skóra", "season": "zima"})
    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk])).content.decode()
    assert 'name="attributes_key" value="material"' in page and 'name="attributes_value" value="skóra"' in page
    assert page.count('name="attributes_key"') == 2 + 3  # the pairs and three empty rows
    assert "{&quot;material&quot;" not in page  # no JSON box


def test_rows_are_saved_as_attributes_empty_rows_dropped(admin_client):
    product = ProductFactory(attributes={"material": "skóra"})
    VariantFactory(product=product)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = post_rows(admin_client, url, [(" material ", "zamsz"), ("", ""), ("target", "kobiety")])
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.attributes == {"material": "zamsz", "target": "kobiety"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("", "skóra")], "The value skóra has no name."),
        ([("material", "skóra"), ("material", "zamsz")], "The attribute material is given twice."),
    ],
)
def test_a_value_without_a_name_or_a_name_twice_is_refused(admin_client, rows, message):
    product = ProductFactory(attributes={"material": "skóra"})
    VariantFactory(product=product)
    response = post_rows(admin_client, reverse("admin:catalog_product_change", args=[product.pk]), rows)
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors["attributes"]
    assert Product.objects.get(pk=product.pk).attributes == {"material": "skóra"}


def test_the_variant_page_edits_its_attributes_as_rows_too(admin_client):
    variant = VariantFactory(attributes={"width": "G"})
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    assert 'name="attributes_key" value="width"' in admin_client.get(url).content.decode()
    response = post_rows(admin_client, url, [("width", "H")])
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.attributes == {"width": "H"}

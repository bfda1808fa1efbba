"""What staff do through services in admin appears in the object's history page: who, what,
when. Transfers shipped by action, stock adjusted and imported, a price set on the variant's
page, a webhook's test event and secret, a revoked API key, a notification sent again."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Channel, Price
from catalog.services import price_set
from catalog.tests.factories import ChannelFactory, VariantFactory
from inventory.models import StockLevel, StockSync, Transfer
from inventory.services import stock_receive, transfer_request
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.apikeys.services import apikey_create
from omnishop.history import admin_history_record
from omnishop.tests.admin_forms import admin_form_data
from omnishop.webhooks.services import subscription_create

pytestmark = pytest.mark.django_db


def history(client, obj) -> str:
    opts = obj._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def act(client, model, action: str, objects) -> None:
    opts = model._meta
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects]},
    )
    assert response.status_code == 302


def test_a_transfer_shipped_and_received_by_action_is_in_its_history(admin_client, admin_user):
    wh, store, variant = WarehouseFactory(), LocationFactory(), VariantFactory()
    stock_receive(variant=variant, location=wh, quantity=5)
    transfer = transfer_request(source=wh, destination=store, lines={variant.pk: 2})
    act(admin_client, type(transfer), "transfer_ship", [transfer])
    act(admin_client, type(transfer), "transfer_receive", [transfer])
    page = history(admin_client, transfer)
    assert "Shipped: the goods left the source" in page and "Received at the destination" in page
    assert admin_user.email in page or admin_user.get_username() in page
    entries = LogEntry.objects.filter(object_id=str(transfer.pk), content_type__model="transfer")
    assert entries.count() == 2 and {e.user_id for e in entries} == {admin_user.pk}


def test_a_transfer_requested_on_its_page_is_in_its_history(admin_client):
    wh, store, variant = WarehouseFactory(), LocationFactory(), VariantFactory(sku="HIST-1")
    stock_receive(variant=variant, location=wh, quantity=5)
    response = admin_client.post(
        reverse("admin:inventory_transfer_request"),
        {"source": wh.pk, "destination": store.pk, "lines": "HIST-1 2", "reference": ""},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    transfer = Transfer.objects.get()
    assert "Requested." in history(admin_client, transfer)


def test_a_stock_adjustment_and_an_import_are_in_the_history(admin_client):
    wh, variant = WarehouseFactory(code="wh-h"), VariantFactory(sku="HIST-2")
    stock_receive(variant=variant, location=wh, quantity=5)
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"sku": "HIST-2", "location": wh.pk, "kind": "receipt", "quantity": 3, "reference": "WZ/7", "note": ""},
    )
    assert response.status_code == 302
    level = StockLevel.objects.get(variant=variant, location=wh)
    page = history(admin_client, level)
    assert "Receipt" in page and "on hand now 8" in page and "WZ/7" in page
    upload = SimpleUploadedFile("stan.csv", b"location,sku,quantity\nwh-h,HIST-2,4\n", content_type="text/csv")
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"file": upload, "mode": "absolute", "error_policy": "reject_all", "delimiter": ","},
    )
    assert response.status_code == 302
    assert "Imported from stan.csv (rows applied: 1" in history(admin_client, StockSync.objects.get())


def test_a_price_set_on_the_variants_page_is_in_the_prices_history(admin_client):
    variant = VariantFactory()
    price_set(variant=variant, amount=Decimal("45.00"))
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    response = admin_client.get(url)
    data = admin_form_data(response)
    prefix = next(i.formset.prefix for i in response.context["inline_admin_formsets"] if i.formset.model is Price)
    data[f"{prefix}-0-amount"] = "1234.50"
    assert admin_client.post(url, data).status_code == 302
    assert "Price set to 1,234.50\u00a0PLN on the variant" in history(admin_client, Price.objects.get(variant=variant))


def test_webhook_actions_and_a_revoked_key_are_in_the_history(admin_client):
    subscription = subscription_create(name="ERP", url="https://erp.example.pl/hook", event_types=["*"])
    act(admin_client, type(subscription), "rotate_secret", [subscription])
    act(admin_client, type(subscription), "send_test_event", [subscription])
    page = history(admin_client, subscription)
    assert "Signing secret rotated." in page and "Test event sent." in page
    key, _plain = apikey_create(channel=ChannelFactory(kind=Channel.Kind.MARKETPLACE), name="Allegro", scopes=[])
    act(admin_client, type(key), "revoke_keys", [key])
    assert "Revoked." in history(admin_client, key)


def test_nothing_is_recorded_without_a_person():
    variant = VariantFactory()
    assert admin_history_record(actor=None, obj=variant, message="by the system") is None
    assert not LogEntry.objects.exists()

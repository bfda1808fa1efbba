"""The admin's generic phrases read correctly in Polish whatever the model's gender, and
django-celery-beat's pages are in Polish too."""

import pytest

pytestmark = pytest.mark.django_db


def test_add_change_and_list_titles_do_not_decline_the_model_name_wrongly(admin_client):
    from customers.models import Customer

    customer = Customer.objects.create(first_name="Ewa", last_name="Lis", email="ewa.lis@example.pl")
    pl = {"HTTP_ACCEPT_LANGUAGE": "pl"}
    add = admin_client.get("/admin/inventory/location/add/", **pl).content.decode()
    assert "Dodaj: lokalizacja" in add and "Dodaj lokalizacja" not in add
    listing = admin_client.get("/admin/customers/customer/", **pl).content.decode()
    assert "Wybierz do zmiany: klient" in listing and "Dodaj: klient" in listing
    assert "Wybierz klient do zmiany" not in listing and "Dodaj klient" not in listing
    change = admin_client.get(f"/admin/customers/company/{_company().pk}/change/", **pl).content.decode()
    assert "Edycja: firma" in change and "Zmień firma" not in change
    assert customer.pk


def test_the_beat_schedules_are_named_in_polish(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Zadania okresowe" in page and "Periodic Tasks" not in page


def _company():
    from customers.models import Company

    return Company.objects.create(name="Firma Lis", tax_id="5250000001")


def test_the_beat_schedule_form_is_in_polish_and_its_catalogue_compiled(admin_client):
    from pathlib import Path

    import polib

    po_path = Path(__file__).resolve().parents[2] / "locale_vendor" / "pl" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    assert po.untranslated_entries() == [] and len(po) > 100
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(po_path.with_suffix(".mo")))}
    assert all(compiled.get(e.msgid) == e.msgstr for e in po), ".mo is stale: msgfmt it"
    page = admin_client.get("/admin/django_celery_beat/periodictask/add/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    for label in ("Nazwa", "Włączone", "Harmonogram interwałowy", "Argumenty pozycyjne"):
        assert label in page, label
    assert "Enabled" not in page and "Positional Arguments" not in page

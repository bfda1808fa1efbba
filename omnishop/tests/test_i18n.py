"""Polish is shipped complete and compiled; the API speaks the client's language."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def test_polish_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    assert len(po) > 300
    assert po.untranslated_entries() == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    # By context and message: "Active" of a gift card is not the "Active" of a location.
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if not e.msgid_plural}
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            found = compiled.get((entry.msgctxt, entry.msgid))
            assert found == entry.msgstr, f".mo is stale for {entry.msgid!r}"


def test_translations_are_used():
    with translation.override("pl"):
        from django.utils.translation import gettext

        assert gettext("Insufficient stock.") != "Insufficient stock."
        assert gettext("Invalid input.") == "Nieprawidłowe dane."


@pytest.mark.django_db
def test_api_error_body_in_polish(api_client):
    from catalog.tests.factories import ChannelFactory

    ChannelFactory(code="web", kind="web")
    response = api_client.get("/api/v1/products/", {"price_min": "abc"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    assert response.json()["title"] == "Nieprawidłowe dane."
    assert response.json()["type"] == "validation_error"  # codes stay stable across languages
    english = api_client.get("/api/v1/products/", {"price_min": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["title"] == "Invalid input."


@pytest.mark.django_db
def test_admin_in_polish(admin_client):
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="pl")
    assert "Katalog" in response.content.decode()


def test_counts_take_the_polish_plural_forms():
    from django.utils.translation import ngettext

    def drifts(n: int) -> str:
        return ngettext("%(n)d drift left.", "%(n)d drifts left.", n) % {"n": n}

    with translation.override("pl"):
        assert [drifts(n) for n in (1, 3, 5, 22, 112)] == [
            "Pozostała 1 rozbieżność.",
            "Pozostały 3 rozbieżności.",
            "Pozostało 5 rozbieżności.",
            "Pozostały 22 rozbieżności.",
            "Pozostało 112 rozbieżności.",
        ]
    with translation.override("en"):
        assert [drifts(n) for n in (1, 2)] == ["1 drift left.", "2 drifts left."]

"""Agents work on a customer in admin: identities and consents shown, notes added inline with
their author, duplicates suggested and merged after a side-by-side preview."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from customers.models import ConsentPurpose, Customer, CustomerDataAccess, CustomerMerge, CustomerNote
from customers.services import consent_set, customer_identity_add, customer_note_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, django_user_model):
    user = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Customer service agent"))
    client.force_login(user)
    return user


@pytest.fixture
def pair():
    kept = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl", city="Gliwice")
    dup = Customer.objects.create(first_name="Anna", last_name="Nowak", email="a.nowak@example.pl", city="Gliwice")
    customer_identity_add(customer=dup, kind="loyalty_card", value="KL-77")
    consent_set(customer=kept, purpose=ConsentPurpose.MARKETING_SMS, granted=True, text_version="v3")
    return kept, dup


def test_card_shows_identities_consents_and_duplicates(client, agent, pair):
    kept, dup = pair
    response = client.get(reverse("admin:customers_customer_change", args=[kept.pk]))
    assert response.status_code == 200
    assert "Marketing SMS" in response.text and "v3" in response.text
    assert f"?ids={kept.pk},{dup.pk}" in response.text  # "compare and merge" with the namesake
    assert "KL-77" in client.get(reverse("admin:customers_customer_change", args=[dup.pk])).text


def card_section(response, name: str) -> dict:
    return next(s["context"] for s in response.context["card_sections"] if s["section"].name == name)


def card_action(pk: int, section: str, action: str) -> str:
    return reverse("admin:customers_customer_card_action", args=[pk, section, action])


def test_an_agent_adds_a_note_on_the_card_and_is_its_author(client, agent, pair):
    kept, _dup = pair
    card = reverse("admin:customers_customer_change", args=[kept.pk])
    response = client.post(card_action(kept.pk, "notes", "add"), {"text": "Woli kontakt po 17:00.", "pinned": "1"})
    assert response.status_code == 302 and response.url == card
    note = CustomerNote.objects.get(customer=kept)
    assert (note.text, note.pinned, note.author) == ("Woli kontakt po 17:00.", True, agent)
    assert "Woli kontakt po 17:00." in client.get(card).text


def test_pinned_notes_come_first_and_an_agent_pins_one(client, agent, pair):
    kept, _dup = pair
    old = customer_note_add(customer=kept, text="Stara notatka", actor=agent)
    customer_note_add(customer=kept, text="Nowa notatka", actor=agent)
    card = reverse("admin:customers_customer_change", args=[kept.pk])
    assert [n.text for n in card_section(client.get(card), "notes")["notes"]] == [
        "Nowa notatka",
        "Stara notatka",
    ]
    response = client.post(
        card_action(kept.pk, "notes", "pin"), {"note": old.pk, "pinned": "1", "back_orders_page": "2"}
    )
    assert response.status_code == 302 and response.url == f"{card}?orders_page=2"
    notes = card_section(client.get(card), "notes")["notes"]
    assert [(n.text, n.pinned) for n in notes] == [("Stara notatka", True), ("Nowa notatka", False)]


def test_an_empty_note_is_refused_with_a_message(client, agent, pair):
    kept, _dup = pair
    response = client.post(card_action(kept.pk, "notes", "add"), {"text": "  "}, follow=True)
    assert "Write the note first." in response.text and not CustomerNote.objects.exists()


def test_a_note_of_another_customer_cannot_be_pinned_from_this_card(client, agent, pair):
    kept, dup = pair
    other = customer_note_add(customer=dup, text="Cudza", actor=agent)
    response = client.post(card_action(kept.pk, "notes", "pin"), {"note": other.pk, "pinned": "1"}, follow=True)
    assert "not this customer" in response.text
    other.refresh_from_db()
    assert not other.pinned


def test_card_actions_are_posts_and_need_their_permission(client, django_user_model, pair):
    kept, _dup = pair
    viewer = django_user_model.objects.create_user(email="view@example.pl", password="x-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    assert client.get(card_action(kept.pk, "notes", "add")).status_code == 405
    assert client.post(card_action(kept.pk, "notes", "add"), {"text": "x"}).status_code == 403
    assert client.post(card_action(kept.pk, "notes", "nope"), {"text": "x"}).status_code == 404
    page = client.get(reverse("admin:customers_customer_change", args=[kept.pk])).text
    assert 'name="text"' not in page  # no note form without the permission


def test_every_opening_of_the_card_is_recorded_for_the_data_protection_officer(client, agent, pair, django_user_model):
    kept, _dup = pair
    card = reverse("admin:customers_customer_change", args=[kept.pk])
    client.get(card)
    client.get(card)
    accesses = CustomerDataAccess.objects.filter(customer=kept, kind=CustomerDataAccess.Kind.VIEWED)
    assert [(a.user, a.customer) for a in accesses] == [(agent, kept), (agent, kept)]
    assert all(a.created_at for a in accesses)
    dpo = django_user_model.objects.create_user(email="iod@example.pl", password="x-pass-123", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    client.force_login(dpo)
    listing = client.get(reverse("admin:customers_customerdataaccess_changelist"))
    assert listing.status_code == 200 and "agent@example.pl" in listing.text
    # The agent is not the data-protection officer: the record is not theirs to read.
    client.force_login(agent)
    assert client.get(reverse("admin:customers_customerdataaccess_changelist")).status_code == 403


def test_export_downloads_the_json_document_and_records_who_took_it(client, agent, pair):
    kept, _dup = pair
    page = client.get(reverse("admin:customers_customer_change", args=[kept.pk])).text
    export = reverse("admin:customers_customer_export", args=[kept.pk])
    assert export in page
    assert client.get(export).status_code == 405  # a download that writes a record: a POST
    response = client.post(export)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="customer-{kept.pk}.json"'
    document = json.loads(response.content)
    assert document["customer"]["email"] == "anna@example.pl"
    assert [c["purpose"] for c in document["consents"]] == ["marketing_sms"]
    assert CustomerDataAccess.objects.filter(customer=kept, kind="exported", user=agent).count() == 1


def test_export_and_erase_need_their_permissions(client, django_user_model, agent, pair):
    kept, _dup = pair
    viewer = django_user_model.objects.create_user(email="view@example.pl", password="x-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    page = client.get(reverse("admin:customers_customer_change", args=[kept.pk])).text
    export = reverse("admin:customers_customer_export", args=[kept.pk])
    erase = reverse("admin:customers_customer_erase", args=[kept.pk])
    assert export not in page and erase not in page
    assert client.post(export).status_code == 403
    assert client.get(erase).status_code == 403 and client.post(erase).status_code == 403
    # An agent exports but does not erase.
    client.force_login(agent)
    assert erase not in client.get(reverse("admin:customers_customer_change", args=[kept.pk])).text
    assert client.get(erase).status_code == 403 and client.post(erase).status_code == 403
    kept.refresh_from_db()
    assert kept.erased_at is None and not CustomerDataAccess.objects.filter(kind="exported").exists()


def test_the_data_protection_officer_erases_after_a_confirmation(client, django_user_model, pair):
    kept, _dup = pair
    dpo = django_user_model.objects.create_user(email="iod@example.pl", password="x-pass-123", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    client.force_login(dpo)
    card = reverse("admin:customers_customer_change", args=[kept.pk])
    erase = reverse("admin:customers_customer_erase", args=[kept.pk])
    assert erase in client.get(card).text
    confirmation = client.get(erase)
    assert confirmation.status_code == 200 and "Yes, erase the personal data" in confirmation.text
    response = client.post(erase)
    assert response.status_code == 302 and response.url == card
    kept.refresh_from_db()
    assert kept.erased_at is not None and kept.email == "" and kept.first_name == ""
    assert CustomerDataAccess.objects.filter(customer=kept, kind="erased", user=dpo).exists()
    # Erased already: the page says why and offers nothing to confirm; a POST is refused.
    again = client.get(erase)
    assert "erased already" in again.text and "Yes, erase" not in again.text
    refused = client.post(erase, follow=True)
    assert "erased already" in refused.text


def test_merge_preview_then_merge(client, agent, pair):
    kept, dup = pair
    url = reverse("admin:customers_customer_merge") + f"?ids={kept.pk},{dup.pk}"
    preview = client.get(url)
    assert preview.status_code == 200
    assert "anna@example.pl" in preview.text and "a.nowak@example.pl" in preview.text and "KL-77" in preview.text
    response = client.post(url, {"survivor": str(kept.pk)})
    assert response.status_code == 302 and response.url == reverse("admin:customers_customer_change", args=[kept.pk])
    record = CustomerMerge.objects.get()
    assert (record.survivor, record.merged, record.actor) == (kept, dup, agent)
    assert kept.identities.filter(value="KL-77").exists()
    # Merging again is refused on the page, not with an error page.
    again = client.post(url, {"survivor": str(kept.pk)})
    assert again.status_code == 200 and "already merged" in again.text


def test_the_changelist_action_needs_two_customers(client, agent, pair):
    kept, dup = pair
    changelist = reverse("admin:customers_customer_changelist")
    response = client.post(changelist, {"action": "merge_selected", "_selected_action": [kept.pk, dup.pk]})
    assert response.status_code == 302 and response.url.endswith(f"?ids={kept.pk},{dup.pk}")
    response = client.post(changelist, {"action": "merge_selected", "_selected_action": [kept.pk]}, follow=True)
    assert "Select exactly two customers" in response.text


def test_merging_needs_its_permission(client, django_user_model, pair):
    kept, dup = pair
    store = django_user_model.objects.create_user(email="sklep@example.pl", password="x-pass-123", is_staff=True)
    store.groups.add(Group.objects.get(name="Store staff"))
    client.force_login(store)
    assert client.get(reverse("admin:customers_customer_merge") + f"?ids={kept.pk},{dup.pk}").status_code == 403

"""Agents work on a customer in admin: identities and consents shown, notes added inline with
their author, duplicates suggested and merged after a side-by-side preview."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.models import ConsentPurpose, Customer, CustomerMerge, CustomerNote
from customers.services import consent_set, customer_identity_add

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


def change_form_data(response) -> dict:
    """The change form's data as the browser would send it back unchanged."""
    data = {}
    adminform = response.context["adminform"].form
    for name, field in adminform.fields.items():
        value = adminform.initial.get(name, field.initial)
        if value is not None:
            data[name] = "" if value is None else value
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        for key, value in fs.management_form.initial.items():
            data[f"{fs.prefix}-{key}"] = value
        for form in fs.forms:
            for name in form.fields:
                value = form.initial.get(name)
                if value not in (None, ""):
                    data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return {k: v for k, v in data.items() if v is not None}


def test_card_shows_identities_consents_and_duplicates(client, agent, pair):
    kept, dup = pair
    response = client.get(reverse("admin:customers_customer_change", args=[kept.pk]))
    assert response.status_code == 200
    assert "Marketing SMS" in response.text and "v3" in response.text
    assert f"?ids={kept.pk},{dup.pk}" in response.text  # "compare and merge" with the namesake
    assert "KL-77" in client.get(reverse("admin:customers_customer_change", args=[dup.pk])).text


def test_an_agent_adds_a_note_inline_and_is_its_author(client, agent, pair):
    kept, _dup = pair
    url = reverse("admin:customers_customer_change", args=[kept.pk])
    data = change_form_data(client.get(url))
    data["notes-0-text"] = "Woli kontakt po 17:00."
    data["notes-0-pinned"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    note = CustomerNote.objects.get(customer=kept)
    assert (note.text, note.pinned, note.author) == ("Woli kontakt po 17:00.", True, agent)
    assert "Woli kontakt po 17:00." in client.get(url).text


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

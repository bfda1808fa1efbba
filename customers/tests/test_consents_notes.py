"""Consents per purpose with their history, and agents' notes on a customer."""

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import ChannelFactory
from customers.models import Consent, ConsentEvent, ConsentPurpose, Customer, CustomerNote
from customers.selectors import consent_given, customer_consents
from customers.services import consent_set, customer_note_add, customer_note_pin

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl")


def test_giving_and_withdrawing_keeps_one_answer_and_the_whole_history(anna, user):
    app = ChannelFactory(code="app")
    consent_set(customer=anna, purpose=ConsentPurpose.MARKETING_SMS, granted=True, text_version="2026-01", channel=app)
    assert consent_given(customer_id=anna.pk, purpose=ConsentPurpose.MARKETING_SMS)
    consent_set(customer=anna, purpose=ConsentPurpose.MARKETING_SMS, granted=False, text_version="2026-01", actor=user)
    assert not consent_given(customer_id=anna.pk, purpose=ConsentPurpose.MARKETING_SMS)
    assert Consent.objects.filter(customer=anna).count() == 1
    history = list(ConsentEvent.objects.filter(customer=anna).order_by("id").values_list("granted", "channel", "actor"))
    assert history == [(True, app.pk, None), (False, None, user.pk)]


def test_the_same_answer_again_writes_no_history_but_a_new_text_version_does(anna):
    for _ in range(2):
        consent_set(customer=anna, purpose=ConsentPurpose.PROFILING, granted=True, text_version="v1")
    assert ConsentEvent.objects.filter(customer=anna).count() == 1
    consent_set(customer=anna, purpose=ConsentPurpose.PROFILING, granted=True, text_version="v2")
    assert ConsentEvent.objects.filter(customer=anna).count() == 2
    assert Consent.objects.get(customer=anna).text_version == "v2"


def test_every_purpose_is_listed_and_never_asked_means_not_given(anna):
    consent_set(customer=anna, purpose=ConsentPurpose.MARKETING_EMAIL, granted=True, text_version="v1")
    listed = {row["purpose"]: row["granted"] for row in customer_consents(customer=anna)}
    assert listed == {p: p == ConsentPurpose.MARKETING_EMAIL for p in ConsentPurpose.values}
    assert not consent_given(customer_id=None, purpose=ConsentPurpose.MARKETING_EMAIL)


def test_unknown_purpose_or_missing_text_version_is_refused_and_nothing_written(anna):
    with pytest.raises(ValidationError) as refused:
        consent_set(customer=anna, purpose="telemarketing", granted=True, text_version="")
    assert set(refused.value.message_dict) == {"purpose", "text_version"}
    assert not ConsentEvent.objects.exists() and not Consent.objects.exists()


def test_notes_pinned_first_then_newest(anna, user):
    first = customer_note_add(customer=anna, text="Prefers calls after 17:00.", actor=user)
    second = customer_note_add(customer=anna, text="  Asked about a size 38 delivery. ", actor=user)
    customer_note_pin(note=first, pinned=True, actor=user)
    assert list(anna.notes.all()) == [first, second]
    assert second.text == "Asked about a size 38 delivery." and second.author == user
    with pytest.raises(ValidationError):
        customer_note_add(customer=anna, text="   ", actor=user)
    assert CustomerNote.objects.count() == 2

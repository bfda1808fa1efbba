"""Two records of one person become one: everything moves to the customer kept, an audit record
says who merged what, and a merge happens once however many agents press the button."""

import pytest
from django.contrib.auth import get_user_model

from conftest import run_in_threads
from customers.models import Consent, ConsentEvent, ConsentPurpose, Customer, CustomerIdentity, CustomerMerge
from customers.selectors import customer_duplicates, customer_search
from customers.services import MergeRefused, consent_set, customer_identity_add, customer_merge, customer_note_add


@pytest.fixture
def pair(db):
    kept = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl", city="Gliwice")
    duplicate = Customer.objects.create(
        first_name="anna", last_name="NOWAK", email="a.nowak@example.pl", phone="+48601234567", city="Gliwice"
    )
    return kept, duplicate


@pytest.mark.django_db
def test_identities_consents_notes_and_login_move_to_the_customer_kept(pair, user):
    kept, duplicate = pair
    login = get_user_model().objects.create_user(email="a.nowak@example.pl", password="x-pass-123")
    Customer.objects.filter(pk=duplicate.pk).update(user=login)
    duplicate.refresh_from_db()
    customer_identity_add(customer=duplicate, kind=CustomerIdentity.Kind.LOYALTY_CARD, value="KL-1")
    consent_set(customer=kept, purpose=ConsentPurpose.MARKETING_EMAIL, granted=True, text_version="v1")
    consent_set(customer=duplicate, purpose=ConsentPurpose.MARKETING_EMAIL, granted=False, text_version="v1")
    consent_set(customer=duplicate, purpose=ConsentPurpose.PROFILING, granted=True, text_version="v1")
    customer_note_add(customer=duplicate, text="Called about a return.", actor=user)

    record = customer_merge(survivor=kept, duplicate=duplicate, actor=user)

    kept.refresh_from_db()
    assert kept.user == login
    assert set(kept.identities.values_list("kind", "value")) == {
        ("loyalty_card", "KL-1"),
        ("email", "a.nowak@example.pl"),
        ("phone", "+48601234567"),
    }
    # The later answer wins per purpose; the whole history is the kept customer's.
    assert dict(Consent.objects.filter(customer=kept).values_list("purpose", "granted")) == {
        "marketing_email": False,
        "profiling": True,
    }
    assert ConsentEvent.objects.filter(customer=kept).count() == 3
    assert not Consent.objects.filter(customer=duplicate).exists()
    assert kept.notes.count() == 1
    assert record.actor == user and record.moved["identities"] == 3 and record.moved["notes"] == 1
    # The duplicate is no longer found; the kept customer is, by the duplicate's phone too.
    assert list(customer_search(text="601 234 567")) == [kept]
    assert list(customer_search(text="Anna Nowak")) == [kept]


@pytest.mark.django_db
def test_refusals(pair, user):
    kept, duplicate = pair
    with pytest.raises(MergeRefused):
        customer_merge(survivor=kept, duplicate=kept, actor=user)
    customer_merge(survivor=kept, duplicate=duplicate, actor=user)
    with pytest.raises(MergeRefused) as again:
        customer_merge(survivor=kept, duplicate=duplicate, actor=user)
    assert "duplicate" in again.value.message_dict
    with pytest.raises(MergeRefused) as into_merged:
        customer_merge(survivor=duplicate, duplicate=Customer.objects.create(email="x@example.pl"), actor=user)
    assert "survivor" in into_merged.value.message_dict


@pytest.mark.django_db
def test_two_logins_are_not_merged(pair):
    kept, duplicate = pair
    users = get_user_model().objects
    Customer.objects.filter(pk=kept.pk).update(user=users.create_user(email="one@example.pl", password="x-pass-123"))
    Customer.objects.filter(pk=duplicate.pk).update(user=users.create_user(email="two@example.pl", password="x-pass-1"))
    kept.refresh_from_db()
    duplicate.refresh_from_db()
    with pytest.raises(MergeRefused):
        customer_merge(survivor=kept, duplicate=duplicate)
    assert not CustomerMerge.objects.exists()


@pytest.mark.django_db
def test_duplicates_are_suggested_by_phone_email_or_name_in_the_same_city(pair):
    kept, duplicate = pair
    same_phone = Customer.objects.create(first_name="Ola", phone="+48601234567")
    same_email_identity = Customer.objects.create(first_name="Ela")
    customer_identity_add(customer=same_email_identity, kind=CustomerIdentity.Kind.EMAIL, value="A.Nowak@example.pl")
    Customer.objects.create(first_name="Anna", last_name="Nowak", city="Kraków")  # a namesake elsewhere
    assert list(customer_duplicates(customer=duplicate)) == [kept, same_phone, same_email_identity]
    assert list(customer_duplicates(customer=kept)) == [duplicate]


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_the_same_pair_at_once_merge_once_and_lose_nothing(pair):
    kept, duplicate = pair
    customer_identity_add(customer=duplicate, kind=CustomerIdentity.Kind.LOYALTY_CARD, value="KL-9")
    calls = [(kept, duplicate), (kept, duplicate), (duplicate, kept), (kept, duplicate)]
    results = run_in_threads(lambda s, d: customer_merge(survivor=s, duplicate=d), calls)
    merges = [r for r in results if isinstance(r, CustomerMerge)]
    assert len(merges) == 1, results
    assert all(isinstance(r, MergeRefused) for r in results if r not in merges)
    survivor = merges[0].survivor
    assert CustomerMerge.objects.count() == 1
    assert CustomerIdentity.objects.get(value="KL-9").customer_id == survivor.pk

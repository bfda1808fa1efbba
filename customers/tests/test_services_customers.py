import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_for_user_ensure
from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_login_is_joined_to_the_customer_known_by_its_verified_email():
    known = Customer.objects.create(first_name="Zofia", email="zofia@example.pl")  # ordered by phone
    user = User.objects.create_user(email="Zofia@Example.pl", password="x-pass-123")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    assert customer_for_user_ensure(user=user) == known
    assert customer_for_user_ensure(user=user) == known
    known.refresh_from_db()
    assert known.user == user and Customer.objects.count() == 1


def test_an_unverified_login_does_not_take_over_a_known_customer():
    known = Customer.objects.create(email="zofia@example.pl")
    user = User.objects.create_user(email="zofia@example.pl", password="x-pass-123")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    with pytest.raises(ValidationError):  # the e-mail is taken, as before
        customer_for_user_ensure(user=user)
    known.refresh_from_db()
    assert known.user is None


def test_a_new_login_gets_a_new_customer():
    user = User.objects.create_user(email="Nowy@Example.pl", password="x-pass-123", first_name="Jan")
    customer = customer_for_user_ensure(user=user)
    assert (customer.user, customer.email, customer.first_name) == (user, "nowy@example.pl", "Jan")

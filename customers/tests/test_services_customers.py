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


@pytest.mark.django_db
def test_phones_are_stored_in_e164_however_they_were_typed():
    from customers.services import CustomerRow, customer_create, customers_bulk_create

    assert customer_create(email="ola@example.pl", phone="601 234 567").phone == "+48601234567"
    customers_bulk_create(rows=[CustomerRow(email="jan@example.pl", phone="+48 (22) 100-20-01")])
    assert Customer.objects.get(email="jan@example.pl").phone == "+48221002001"


@pytest.mark.django_db
def test_a_phone_that_is_no_number_is_refused_and_nothing_is_written():
    from customers.services import CustomerRow, customer_create, customers_bulk_create

    with pytest.raises(ValidationError) as refused:
        customer_create(email="ola@example.pl", phone="zadzwoń po 18")
    assert "phone" in refused.value.message_dict
    with pytest.raises(ValidationError):
        customers_bulk_create(rows=[CustomerRow(email="jan@example.pl", phone="123")])
    assert not Customer.objects.exists()


def _inline_management_forms(response):
    """The hidden management-form fields of every inline on an admin change page, as rendered."""
    fields = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name, field in management.fields.items():
            fields[management.add_prefix(name)] = management.initial.get(name, field.initial)
    return fields


@pytest.mark.django_db
def test_the_customer_admin_stores_the_phone_in_e164(client, superuser):
    customer = Customer.objects.create(email="ewa@example.pl")
    client.force_login(superuser)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    form = {
        "email": "ewa@example.pl",
        "first_name": "Ewa",
        "last_name": "",
        "phone": "22 100 20 01",
        "city": "",
        "language": "pl",
        "notification_channel": "email",
        **_inline_management_forms(client.get(url)),
    }
    assert client.post(url, form).status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+48221002001"
    response = client.post(url, {**form, "phone": "abc"})
    assert response.status_code == 200 and response.context["adminform"].form.errors["phone"]

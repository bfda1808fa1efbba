"""Agents keep a company's members on its admin page: add people by search, change roles, remove."""

import pytest
from django.urls import reverse

from customers.models import Company, CompanyMembership, Customer

pytestmark = pytest.mark.django_db

PREFIXES = ("memberships", "memberships-2")  # existing members, new members


def management(prefix: str, total: int) -> dict:
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0 if prefix == PREFIXES[1] else total}


def test_members_are_added_by_search_and_kept_read_only_with_their_role(admin_client):
    company = Company.objects.create(name="Hurtownia Wisła", tax_id="PL5260250274")
    ewa = Customer.objects.create(first_name="Ewa", last_name="Nowak", email="ewa@wisla.pl")
    jan = Customer.objects.create(first_name="Jan", last_name="Kowal", email="jan@wisla.pl")
    kept = CompanyMembership.objects.create(company=company, customer=ewa)
    url = reverse("admin:customers_company_change", args=[company.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    existing, new = page.context["inline_admin_formsets"]
    assert existing.formset.prefix == PREFIXES[0] and new.formset.prefix == PREFIXES[1]
    assert "customer" not in existing.formset.forms[0].fields  # shown, not chosen again

    data = {
        "name": company.name,
        "tax_id": company.tax_id,
        **management(PREFIXES[0], 1),
        f"{PREFIXES[0]}-0-id": kept.pk,
        f"{PREFIXES[0]}-0-company": company.pk,
        f"{PREFIXES[0]}-0-role": "admin",
        **management(PREFIXES[1], 1),
        f"{PREFIXES[1]}-0-company": company.pk,
        f"{PREFIXES[1]}-0-customer": jan.pk,
        f"{PREFIXES[1]}-0-role": "buyer",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert dict(CompanyMembership.objects.filter(company=company).values_list("customer__email", "role")) == {
        "ewa@wisla.pl": "admin",
        "jan@wisla.pl": "buyer",
    }

    # A person already a member cannot be added twice.
    data[f"{PREFIXES[1]}-0-customer"] = ewa.pk
    data[f"{PREFIXES[0]}-0-role"] = "admin"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert CompanyMembership.objects.filter(company=company, customer=ewa).count() == 1

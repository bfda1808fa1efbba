import pytest
from django.contrib.auth.models import Group

from omnishop.accounts.roles import ROLE_NAMES, ROLE_PERMISSIONS


@pytest.mark.django_db
def test_staff_role_groups_exist_after_migrate():
    assert set(Group.objects.filter(name__in=ROLE_NAMES).values_list("name", flat=True)) == set(ROLE_NAMES)


@pytest.mark.django_db
def test_roles_carry_their_permissions():
    merch = Group.objects.get(name="Merchandiser")
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in merch.permissions.select_related("content_type")}
    assert "catalog.change_price" in perms
    assert "catalog.delete_pricehistory" not in perms
    # Every permission a role names exists (a typo would silently grant nothing).
    for role, wanted in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert group.permissions.count() == len(wanted), role


@pytest.mark.django_db
def test_user_logs_in_with_email(client, django_user_model):
    django_user_model.objects.create_user(email="Anna.Kowalska@Example.PL", password="x-pass-123")
    assert client.login(email="anna.kowalska@example.pl", password="x-pass-123")

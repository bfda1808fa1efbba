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


@pytest.mark.django_db
def test_roles_reach_their_work(django_user_model):
    def user_in(role):
        user = django_user_model.objects.create_user(
            email=f"{role[:5].lower()}@example.pl", password="x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return django_user_model.objects.get(pk=user.pk)  # fresh permission cache

    assert user_in("Inventory manager").has_perm("inventory.add_stockmovement")
    agent = user_in("Customer service agent")
    assert agent.has_perm("orders.add_order") and agent.has_perm("customers.change_customer")
    assert not agent.has_perm("catalog.change_price")
    assert not user_in("Store staff").has_perm("orders.add_order")


@pytest.mark.django_db
def test_integration_admins_run_the_webhooks_and_schedules_and_agents_resend_notices(django_user_model):
    integration = django_user_model.objects.create_user(email="integracje@example.pl", password="x", is_staff=True)
    integration.groups.add(Group.objects.get(name="Integration admin"))
    agent = django_user_model.objects.create_user(email="bok@example.pl", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name="Customer service agent"))
    for perm in (
        "webhooks.add_webhooksubscription",
        "webhooks.change_webhookdelivery",  # re-delivery
        "webhooks.view_payload",
        "django_celery_beat.change_periodictask",
        "notifications.view_notification",
    ):
        assert integration.has_perm(perm), perm
    assert not integration.has_perm("notifications.resend_notification")
    assert agent.has_perm("notifications.resend_notification") and not agent.has_perm("webhooks.view_payload")

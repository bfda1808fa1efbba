"""Recording, routing, sending, retrying and re-sending notifications, and their admin page."""

import pytest
from django.core import mail
from django.urls import reverse

from omnishop.accounts.tests.factories import UserFactory
from omnishop.notifications import registry
from omnishop.notifications.exceptions import ConsentRequired, DeliveryFailed, NotResendable
from omnishop.notifications.masking import recipient_masked
from omnishop.notifications.models import Notification
from omnishop.notifications.services import (
    notification_resend,
    notification_route,
    notification_send,
    notifications_pending_dispatch,
)
from omnishop.notifications.tasks import notification_send_task

pytestmark = pytest.mark.django_db

# The context of a transactional template orders registers (no domain import needed).
CONTEXT = {"number": "OS-2026-0000042", "total": "1234.50", "currency": "PLN", "refund_due": False}


class FlakySender:
    """Fails ``failures`` times, then sends; remembers the messages it was given."""

    failures = 0
    sent: list = []

    def send(self, message) -> str:
        cls = type(self)
        if cls.failures:
            cls.failures -= 1
            raise ConnectionError(f"SMTP down while sending {message.text[:20]}")
        cls.sent.append(message)
        return "provider-1"


@pytest.fixture
def flaky(settings):
    settings.OMNISHOP_NOTIFICATION_EMAIL_SENDER = f"{__name__}.FlakySender"
    FlakySender.failures, FlakySender.sent = 0, []
    return FlakySender


def send(**kwargs) -> Notification:
    return notification_send(
        **{"template": "order_cancelled", "language": "pl", "email": "anna@example.pl", "context": CONTEXT, **kwargs}
    )


def test_routing_prefers_the_customers_channel_and_falls_back():
    assert notification_route(preferred="email", email="a@x.pl", phone="+48601234567") == ("email", "a@x.pl")
    assert notification_route(preferred="sms", email="a@x.pl", phone="+48601234567") == ("sms", "+48601234567")
    assert notification_route(preferred="sms", email="a@x.pl") == ("email", "a@x.pl")
    assert notification_route(preferred="push", email="a@x.pl", device="tok") == ("push", "tok")
    assert notification_route(preferred="push", email="a@x.pl") == ("email", "a@x.pl")  # no device
    assert notification_route(preferred="email", phone="+48601234567") == ("sms", "+48601234567")  # no e-mail
    assert notification_route() == ("", "")


def test_recipients_are_masked():
    assert recipient_masked("email", "anna.kowalska@example.pl") == "a***@example.pl"
    assert recipient_masked("sms", "+48601234123") == "+48 *** *** 123"
    assert recipient_masked("push", "fcm-token-abcdef") == "fcm-…"


def test_sent_after_commit_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = send()
    assert notification.status == "pending" and mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1) and notification.sent_at
    [email] = mail.outbox
    assert email.subject == "Zamówienie OS-2026-0000042 zostało anulowane"
    assert notification.provider_id == email.extra_headers["Message-ID"]


def test_nobody_to_reach_is_recorded_cancelled(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = send(email="")
    assert notification.status == "cancelled" and notification.last_error and callbacks == []


def test_a_promotional_message_needs_consent():
    registry.template_register(registry.NotificationTemplate(key="test_promotion", kind=registry.Kind.PROMOTIONAL))
    try:
        with pytest.raises(ConsentRequired):
            send(template="test_promotion")
        assert not Notification.objects.exists()
        assert send(template="test_promotion", consented=True).status == "pending"
    finally:
        registry._templates.pop("test_promotion")


def test_the_task_retries_with_exponential_backoff_and_jitter():
    task = notification_send_task
    assert task.autoretry_for == (DeliveryFailed,) and task.acks_late
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (30, 3600, True)


def test_a_failure_is_recorded_retried_then_sent(flaky, django_capture_on_commit_callbacks):
    flaky.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        notification = send()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error.startswith("ConnectionError: SMTP down")
    # The task again, as the worker runs it (eager, its retry runs at once instead of after the countdown).
    assert notification_send_task.apply(args=[notification.pk], throw=False).get() == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert notification.last_error.startswith("ConnectionError: SMTP down")  # the last failure stays visible
    assert len(flaky.sent) == 1


def fail_for_good(notification: Notification) -> None:
    """The task retried until the attempts are spent (eager: at once)."""
    assert notification_send_task.apply(args=[notification.pk], throw=False).get() == "failed"
    notification.refresh_from_db()


def test_a_lasting_failure_is_visible_and_sent_again(flaky, settings, django_capture_on_commit_callbacks):
    settings.OMNISHOP_NOTIFICATION_MAX_ATTEMPTS = 3
    flaky.failures = 99
    with django_capture_on_commit_callbacks(execute=True):
        notification = send()
    fail_for_good(notification)
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert "SMTP down" in notification.last_error and flaky.sent == []
    assert (
        notification_send_task.apply(args=[notification.pk], throw=False).get() == "skipped"
    )  # a late retry sends nothing

    agent = UserFactory(is_staff=True, is_superuser=True)
    flaky.failures = 0
    with django_capture_on_commit_callbacks(execute=True):
        notification_resend(notification=notification, actor=agent)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    with pytest.raises(NotResendable):
        notification_resend(notification=notification, actor=agent)


def test_admin_send_again_action(flaky, client, settings, django_capture_on_commit_callbacks):
    settings.OMNISHOP_NOTIFICATION_MAX_ATTEMPTS = 2
    flaky.failures = 99
    with django_capture_on_commit_callbacks(execute=True):
        notification = send()
    fail_for_good(notification)
    assert notification.status == "failed"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:notifications_notification_changelist") + "?status__exact=failed")
    assert "SMTP down" in page.content.decode()
    flaky.failures = 0
    url = reverse("admin:notifications_notification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "notification_resend", "_selected_action": [notification.pk]})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == "sent"


def test_the_sweeper_queues_what_was_not_dispatched(flaky):
    notification = send()  # the test's transaction never commits: its dispatch never ran
    Notification.objects.filter(pk=notification.pk).update(created_at=notification.created_at.replace(year=2020))
    assert notifications_pending_dispatch() == 1
    notification.refresh_from_db()
    assert notification.status == "sent"


def test_admin_list_query_count_holds_when_rows_double(admin_client, django_assert_max_num_queries):
    url = reverse("admin:notifications_notification_changelist")
    for i in range(10):
        send(email=f"k{i}@example.pl", phone="+48601234567", preferred_channel="sms" if i % 2 else "email")
    admin_client.get(url)
    with django_assert_max_num_queries(12) as small:
        page = admin_client.get(url)
    for i in range(20):
        send(email=f"m{i}@example.pl")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = admin_client.get(url)
    body = page.content.decode()
    assert "k***@example.pl" in body and "+48 *** *** 567" in body and "k1@example.pl" not in body

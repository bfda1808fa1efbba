"""Notification writes. A domain service decides what to tell whom and calls ``notification_send``
in its own transaction; the message goes out after commit (``notification_send_task``), never
while the caller holds a lock, and a rolled-back change sends nothing.

Consent: promotional templates need ``consented=True``, which the caller passes from the
customer's marketing consent (the consents of the customers app, when they arrive, are that
hook); transactional ones (about an order the person placed) need none."""

import logging
from datetime import timedelta
from functools import partial

from celery.exceptions import Retry
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from omnishop.vocabulary import NotificationChannel

from .exceptions import ConsentRequired, DeliveryFailed, NotResendable
from .models import Notification
from .registry import Kind, secret_get, template_get
from .rendering import message_render
from .senders import sender_for

logger = logging.getLogger(__name__)

Status = Notification.Status


def notification_route(*, preferred: str = "", email: str = "", phone: str = "", device: str = "") -> tuple[str, str]:
    """(channel, recipient) for a person: their preferred channel when they can be reached on it;
    push without a device falls back to e-mail; without an e-mail, SMS. ("", "") when nothing
    reaches them."""
    email, phone, device = (email or "").strip(), (phone or "").strip(), (device or "").strip()
    if preferred == NotificationChannel.PUSH and device:
        return NotificationChannel.PUSH, device
    if preferred == NotificationChannel.SMS and phone:
        return NotificationChannel.SMS, phone
    if email:
        return NotificationChannel.EMAIL, email
    if phone:
        return NotificationChannel.SMS, phone
    if device:
        return NotificationChannel.PUSH, device
    return "", ""


def notification_language(language: str) -> str:
    """``language`` if it is one of settings.LANGUAGES (``pl-PL`` is ``pl``), else LANGUAGE_CODE."""
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def notification_send(
    *,
    template: str,
    language: str,
    customer=None,
    order_reference: str = "",
    email: str = "",
    phone: str = "",
    device: str = "",
    preferred_channel: str = "",
    context: dict | None = None,
    consented: bool = False,
) -> Notification:
    """Record one message in the caller's transaction (one insert) and queue its sending after
    commit. The channel follows ``notification_route``; nobody to reach records it cancelled
    (visible in admin) and sends nothing. ``context`` must be JSON and hold no secret (the
    template's secret is read at send time). Raises ``ConsentRequired`` for a promotional
    template without ``consented``."""
    spec = template_get(template)
    if spec.kind == Kind.PROMOTIONAL and not consented:
        raise ConsentRequired()
    channel, recipient = notification_route(preferred=preferred_channel, email=email, phone=phone, device=device)
    notification = Notification.objects.create(
        customer=customer,
        order_reference=order_reference,
        channel=channel or NotificationChannel.EMAIL,
        template=template,
        language=notification_language(language),
        recipient=recipient,
        context=context or {},
        status=Status.PENDING if recipient else Status.CANCELLED,
        last_error="" if recipient else _("No e-mail address, phone or device to send to."),
    )
    if recipient:
        transaction.on_commit(partial(notification_queue, notification.pk))
    return notification


def notification_queue(notification_id: int) -> None:
    """After commit: the send task. A broker down must not fail the change that was committed:
    the sweeper (``notifications_pending_dispatch``) sends what was not queued."""
    from .tasks import notification_send_task

    try:
        notification_send_task.delay(notification_id)
    except Retry:
        pass  # eager runs (local, tests): the retries already ran in this process
    except (OperationalError, ConnectionError):
        logger.warning("notification %s not queued (broker unreachable); the sweeper sends it", notification_id)


def _claim(notification_id: int) -> Notification | None:
    """Take a pending notification for one send attempt (a lease, not a lock held while sending):
    a duplicate task finds it taken, one killed mid-send leaves it to be taken again later."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status=Status.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(
            attempts=F("attempts") + 1,
            locked_until=now + timedelta(seconds=settings.OMNISHOP_NOTIFICATION_LEASE_SECONDS),
        )
    )
    return Notification.objects.filter(pk=notification_id).first() if claimed else None


def notification_deliver(*, notification_id: int) -> str:
    """Send a pending notification once: render it in its language (the secret read now from its
    provider), hand it to the channel's sender, record the outcome. A failure is recorded
    (``last_error``, no secret in it) and raises ``DeliveryFailed`` while attempts remain
    (``OMNISHOP_NOTIFICATION_MAX_ATTEMPTS``), else the notification is failed. A secret that no
    longer holds (the order was collected) cancels it. Returns the resulting status; one that is
    not pending (sent, failed, cancelled, or being sent by another worker) is left as it is."""
    notification = _claim(notification_id)
    if notification is None:
        return "skipped"
    spec = template_get(notification.template)
    secret = None
    if spec.secret:
        secret = secret_get(spec.secret, notification.order_reference)
        if not secret:
            _finish(notification, status=Status.CANCELLED, error=_("No longer valid: nothing to tell any more."))
            return Status.CANCELLED
    message = message_render(notification, secret=secret)
    try:
        provider_id = sender_for(notification.channel).send(message)
    except Exception as exc:  # any sender error is a failed attempt, retried
        error = message.redact(f"{type(exc).__name__}: {exc}")[:500]
        last = notification.attempts >= settings.OMNISHOP_NOTIFICATION_MAX_ATTEMPTS
        _finish(notification, status=Status.FAILED if last else Status.PENDING, error=error)
        logger.warning(
            "notification %s (%s, %s) attempt %s failed: %s",
            notification.pk,
            notification.template,
            notification.channel,
            notification.attempts,
            type(exc).__name__,
        )
        if last:
            return Status.FAILED
        raise DeliveryFailed(error) from None
    _finish(notification, status=Status.SENT, provider_id=str(provider_id or "")[:200])
    return Status.SENT


def _finish(notification: Notification, *, status: str, error: str = "", provider_id: str = "") -> None:
    fields = {"status": status, "locked_until": None, "updated_at": timezone.now()}
    if status == Status.SENT:
        fields.update(sent_at=timezone.now(), provider_id=provider_id)
    else:
        fields["last_error"] = error
    Notification.objects.filter(pk=notification.pk).update(**fields)


def notification_resend(*, notification: Notification, actor=None) -> Notification:
    """Send a failed notification again (admin): it becomes pending with a fresh count of
    attempts (its last error stays until it is sent) and is queued after commit. Raises
    ``NotResendable`` for one that did not fail."""
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, locked_until=None, updated_at=timezone.now()
        )
        if not updated:
            raise NotResendable()
        transaction.on_commit(partial(notification_queue, notification.pk))
    logger.info("notification %s queued again by user %s", notification.pk, getattr(actor, "pk", None))
    return Notification.objects.get(pk=notification.pk)


def notifications_pending_dispatch(*, older_than_seconds: int = 300, limit: int = 500) -> int:
    """Beat: queue pending notifications whose after-commit dispatch was lost (broker down at
    commit, worker killed), oldest first; a duplicate queueing is harmless (``_claim``)."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(status=Status.PENDING, created_at__lt=now - timedelta(seconds=older_than_seconds))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        notification_queue(pk)
    return len(ids)

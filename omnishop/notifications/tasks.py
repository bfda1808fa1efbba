"""Thin Celery tasks (queue ``notifications``): load by id, call a service."""

from celery import shared_task
from django.conf import settings

from .exceptions import DeliveryFailed


@shared_task(
    bind=True,
    acks_late=True,  # idempotent: a notification is claimed before it is sent, and sent once
    autoretry_for=(DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=settings.OMNISHOP_NOTIFICATION_MAX_ATTEMPTS,
)
def notification_send_task(self, notification_id: int) -> str:
    from .services import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task
def notifications_pending_dispatch() -> int:
    """Beat: queue the pending notifications whose dispatch after commit was lost."""
    from .services import notifications_pending_dispatch

    return notifications_pending_dispatch()

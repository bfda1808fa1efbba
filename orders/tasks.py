"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_payment_authorize_task(self, order_id: int) -> str:
    from .services import order_payment_authorize

    return order_payment_authorize(order_id=order_id).status


@shared_task
def pickups_expire() -> int:
    """Beat: cancel the pickup orders not collected in time."""
    from .services import pickup_orders_expire

    return pickup_orders_expire()

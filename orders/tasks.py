"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_payment_authorize_task(self, order_id: int) -> str:
    from .services import order_payment_authorize

    return order_payment_authorize(order_id=order_id).status

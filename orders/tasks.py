"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from .exceptions import RefundFailed


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_payment_authorize_task(self, order_id: int) -> str:
    from .services import order_payment_authorize

    return order_payment_authorize(order_id=order_id).status


@shared_task(
    bind=True, autoretry_for=(ConnectionError, RefundFailed), retry_backoff=True, retry_backoff_max=3600, max_retries=8
)
def order_payment_refund_task(self, order_id: int) -> str:
    """A cancelled order's payment back to the customer; a refused refund is retried with backoff."""
    from .services import order_payment_refund

    return order_payment_refund(order_id=order_id).payment_status


@shared_task
def pickups_expire() -> int:
    """Beat: cancel the pickup orders not collected in time."""
    from .services import pickup_orders_expire

    return pickup_orders_expire()


@shared_task
def pickup_reminders_send() -> int:
    """Beat: remind once the customers whose pickup order must be collected within a day."""
    from .services import pickup_reminders_send

    return pickup_reminders_send()


@shared_task
def anonymous_carts_purge() -> int:
    """Beat: delete anonymous carts untouched for OMNISHOP_ANONYMOUS_CART_DAYS, with their holds."""
    from .services.carts import anonymous_carts_purge

    return anonymous_carts_purge()


@shared_task(
    bind=True, autoretry_for=(ConnectionError, RefundFailed), retry_backoff=True, retry_backoff_max=3600, max_retries=8
)
def order_refund_partial_task(self, refund_id: int) -> str:
    """A part of an order's card payment back to the customer; a refused refund is retried."""
    from .services.payments import order_refund_execute

    return order_refund_execute(refund_id=refund_id).status

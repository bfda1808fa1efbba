"""Thin Celery tasks: call a service."""

from celery import shared_task

from .services import stock_holds_purge_expired


@shared_task(name="inventory.tasks.holds_purge_expired")
def holds_purge_expired() -> int:
    """Delete expired stock holds (Celery beat, every minute); returns how many went."""
    return stock_holds_purge_expired()

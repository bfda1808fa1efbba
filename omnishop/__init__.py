"""omnishop: one back-office for every sales channel."""

from .celery import app as celery_app

__all__ = ("celery_app",)

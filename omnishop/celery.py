"""Celery application. Tasks are discovered in every installed app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings.local")

app = Celery("omnishop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule_store() -> list[str]:
    """Write ``CELERY_BEAT_SCHEDULE`` into django-celery-beat's tables, as beat does when it
    starts, so the periodic jobs are in admin before beat ever ran (a fresh demo). As when beat
    starts, an entry already there takes the settings' task and schedule. Returns the names."""
    from django.conf import settings
    from django_celery_beat.schedulers import ModelEntry

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=app, **entry)
    return list(settings.CELERY_BEAT_SCHEDULE)

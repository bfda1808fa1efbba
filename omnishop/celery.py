"""Celery application. Tasks are discovered in every installed app's tasks.py."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

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


@worker_ready.connect  # the worker's own process (solo and thread pools)
@worker_process_init.connect  # each prefork child
def _imports_frozen(**kwargs) -> None:
    """As in the gunicorn workers (omnishop/wsgi.py): what was imported lives as long as the
    process, so it is moved out of the garbage collector's sight and a task that allocates a lot
    (a batch of webhook deliveries) no longer pays for scanning all of Django on each collection."""
    gc.freeze()

"""Celery as production runs it: queues per concern, late acknowledgement, beat from the database."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from omnishop.celery import app

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"


def queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("omnishop.notifications.tasks.notification_deliver", "notifications"),
        ("omnishop.webhooks.tasks.webhook_deliveries_send", "webhooks"),
        ("orders.tasks.anonymous_carts_purge", "heavy"),
        ("orders.tasks.pickups_expire", "default"),
        ("inventory.tasks.holds_purge_expired", "default"),
    ],
)
def test_tasks_go_to_the_queue_of_their_concern(task_name, queue):
    assert queue_of(task_name) == queue


def test_every_omnishop_task_is_acknowledged_after_it_ran():
    app.loader.import_default_modules()
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert ours
    for task in ours:
        assert task.acks_late, task.name
    assert app.conf.task_reject_on_worker_lost


def test_every_queue_has_a_worker_in_the_compose_file():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    served: set[str] = set()
    for service in services.values():
        command = service.get("command", "")
        if isinstance(command, str) and " worker " in f" {command} ":
            words = command.split()
            served |= set(words[words.index("--queues") + 1].split(","))
    assert served == set(settings.OMNISHOP_CELERY_QUEUES)
    beats = [s for s in services.values() if " beat " in f" {s.get('command', '')} "]
    assert len(beats) == 1 and "DatabaseScheduler" in beats[0]["command"]


@pytest.mark.django_db(transaction=True)  # the scheduler closes the connection between steps
def test_beat_writes_the_schedule_into_the_database_where_admins_edit_it():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    DatabaseScheduler(app=app)  # what `celery beat` does when it starts
    stored = dict(PeriodicTask.objects.values_list("name", "task"))
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert stored[name] == entry["task"]
    # An interval changed in admin is what beat runs next time, not the settings' value.
    PeriodicTask.objects.filter(name="orders-pickups-expire").update(enabled=False)
    scheduler = DatabaseScheduler(app=app)
    assert "orders-pickups-expire" not in scheduler.schedule


@pytest.mark.django_db
def test_the_schedule_is_in_admin_before_beat_first_runs(admin_client):
    from django_celery_beat.models import PeriodicTask

    from omnishop.celery import beat_schedule_store

    beat_schedule_store()
    beat_schedule_store()  # as often as the demo is seeded: one row per entry
    assert PeriodicTask.objects.count() == len(settings.CELERY_BEAT_SCHEDULE)
    page = admin_client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200 and "webhooks-sweep" in page.content.decode()

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.tests.factories import VariantFactory
from inventory.models import StockHold
from inventory.tasks import holds_purge_expired
from inventory.tests.factories import LocationFactory
from omnishop.celery import app

pytestmark = pytest.mark.django_db


def test_holds_purge_expired_deletes_only_expired_holds():
    variant, store = VariantFactory(), LocationFactory()
    now = timezone.now()
    for reference, expires_at in [("old", now - timedelta(seconds=1)), ("live", now + timedelta(minutes=10))]:
        StockHold.objects.create(
            variant=variant, location=store, quantity=1, kind="cart", reference=reference, expires_at=expires_at
        )
    assert holds_purge_expired.delay().get() == 1  # eager in tests
    assert list(StockHold.objects.values_list("reference", flat=True)) == ["live"]


def test_beat_runs_the_purge_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-holds-purge-expired"]
    assert entry == {"task": "inventory.tasks.holds_purge_expired", "schedule": 60.0}
    assert holds_purge_expired.name == entry["task"]
    assert app.conf.beat_schedule["inventory-holds-purge-expired"]["task"] == entry["task"]

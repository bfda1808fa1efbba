"""Migration 0008 cleans opening hours saved before they were validated everywhere."""

import importlib

import pytest
from django.apps import apps

from inventory.models import Location
from inventory.tests.factories import LocationFactory

cleanup = importlib.import_module("inventory.migrations.0008_location_opening_hours_cleanup")

pytestmark = pytest.mark.django_db


def test_bad_opening_hours_are_reduced_to_their_well_formed_weekdays():
    kept, listed, mixed = (LocationFactory(code=c) for c in ("kept", "listed", "mixed"))
    Location.objects.filter(pk=listed.pk).update(opening_hours=["mon 9-17"])
    Location.objects.filter(pk=mixed.pk).update(
        opening_hours={"mon": "09:00-17:00", "monday": "whenever", "tue": 5, "sun": None}
    )
    before = Location.objects.get(pk=kept.pk).opening_hours

    cleanup.clean(apps, None)

    hours = dict(Location.objects.values_list("code", "opening_hours"))
    assert hours == {"kept": before, "listed": {}, "mixed": {"mon": "09:00-17:00", "sun": None}}

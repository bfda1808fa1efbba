"""Opening hours saved before they were validated everywhere: keep the well-formed weekdays,
drop the rest, so the store picker and the nearest-stores API can render every location."""

import re

from django.db import migrations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d")


def well_formed(value) -> dict:
    if not isinstance(value, dict):
        return {}
    return {
        day: hours
        for day, hours in value.items()
        if day in WEEKDAYS and (hours is None or (isinstance(hours, str) and HOURS.fullmatch(hours)))
    }


def clean(apps, schema_editor):
    Location = apps.get_model("inventory", "Location")
    for location in Location.objects.only("pk", "opening_hours"):
        cleaned = well_formed(location.opening_hours)
        if cleaned != location.opening_hours:
            Location.objects.filter(pk=location.pk).update(opening_hours=cleaned)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_location_opening_hours_validator")]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)]

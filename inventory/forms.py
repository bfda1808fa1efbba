"""Form pieces of the inventory admin: a location's opening hours as seven rows (one per weekday,
named in the user's language) with opening and closing time inputs and a "closed" tick."""

from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import WEEKDAYS, validate_opening_hours

MIDNIGHT = time(0, 0)


def _time_input():
    # Text with a pattern, not type="time": a browser in an English locale would show AM/PM.
    return forms.TimeInput(
        attrs={"inputmode": "numeric", "pattern": r"([01]?\d|2[0-3]):[0-5]\d", "placeholder": "10:00", "size": 5},
        format="%H:%M",
    )


class OpeningHoursWidget(forms.MultiWidget):
    """Three inputs per weekday: opens, closes, closed. A day left empty (neither times nor
    closed) has no hours given, as a day missing from the stored hours."""

    template_name = "inventory/widgets/opening_hours.html"

    def __init__(self, attrs=None):
        widgets = []
        for _day in WEEKDAYS:
            widgets += [_time_input(), _time_input(), forms.CheckboxInput()]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        values = []
        for day in WEEKDAYS:
            hours = (value or {}).get(day, "") if isinstance(value, dict) else ""
            if day in (value or {}) and hours is None:
                values += [None, None, True]
            elif isinstance(hours, str) and "-" in hours:
                opens, closes = hours.split("-", 1)
                values += [opens, "00:00" if closes == "24:00" else closes, False]
            else:
                values += [None, None, False]
        return values

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        subwidgets = context["widget"]["subwidgets"]
        for i, _day in enumerate(WEEKDAYS):
            for offset, what in enumerate((_("opens"), _("closes"), _("closed all day"))):
                subwidgets[3 * i + offset]["attrs"]["aria-label"] = f"{WEEKDAY_NAMES[i]}: {what}"
        context["widget"]["rows"] = [
            (WEEKDAY_NAMES[i], subwidgets[3 * i], subwidgets[3 * i + 1], subwidgets[3 * i + 2])
            for i in range(len(WEEKDAYS))
        ]
        return context


class OpeningHoursField(forms.MultiValueField):
    """Cleans the seven rows to the stored form, ``{"mon": "10:00-21:00", "sun": None}``, checked
    by ``validate_opening_hours`` like every other place that saves hours. Closing at 00:00 means
    midnight (stored as 24:00)."""

    widget = OpeningHoursWidget

    def __init__(self, **kwargs):
        fields = []
        for _day in WEEKDAYS:
            fields += [
                forms.TimeField(required=False),
                forms.TimeField(required=False),
                forms.BooleanField(required=False),
            ]
        kwargs.setdefault("label", capfirst(_("opening hours")))
        kwargs.setdefault(
            "help_text",
            _(
                "Per day: opening and closing time (24-hour, e.g. 09:30; closing at 00:00 means midnight), "
                "or tick closed. A day left empty has no hours given."
            ),
        )
        super().__init__(fields=fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return {}
        hours, errors = {}, []
        for i, day in enumerate(WEEKDAYS):
            opens, closes, closed = data_list[3 * i : 3 * i + 3]
            name = WEEKDAY_NAMES[i]
            if closed:
                if opens or closes:
                    errors.append(_("%(day)s: give the hours or tick closed, not both.") % {"day": name})
                hours[day] = None
            elif opens is None and closes is None:
                continue
            elif opens is None or closes is None:
                errors.append(_("%(day)s: give both the opening and the closing time.") % {"day": name})
            elif closes != MIDNIGHT and closes <= opens:
                errors.append(_("%(day)s: the closing time must be after the opening time.") % {"day": name})
            else:
                until = "24:00" if closes == MIDNIGHT else closes.strftime("%H:%M")
                hours[day] = f"{opens.strftime('%H:%M')}-{until}"
        if errors:
            raise ValidationError(errors)
        validate_opening_hours(hours)
        return hours

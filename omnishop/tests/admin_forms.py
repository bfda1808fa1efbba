"""Admin test helpers: what a browser sends back for an admin change page."""

import json
from datetime import datetime, time

from django import forms as django_forms
from django.utils import timezone


def admin_form_data(response) -> dict:
    """The POST body a browser would send back for an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms.extend(inline.formset.forms)
    for form in forms:
        for bound in (form[name] for name in form.fields):
            value = bound.value()
            widget = bound.field.widget
            if hasattr(widget, "data_for"):  # a widget of several inputs that says what they post
                data.update(widget.data_for(bound.html_name, value))
                continue
            if isinstance(widget, django_forms.MultiWidget) and not isinstance(value, (datetime, list)):
                # A field shown as several inputs (opening hours as rows): each input's value.
                parts = widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=True):
                    if part is None or part is False or part == "":
                        continue
                    key = f"{bound.html_name}{suffix}"
                    data[key] = "on" if part is True else part.strftime("%H:%M") if isinstance(part, time) else part
                continue
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(value, dict):
                value = json.dumps(value)
            elif isinstance(value, datetime):  # the admin's split date and time inputs
                local = timezone.localtime(value)
                data[f"{bound.html_name}_0"] = local.strftime("%Y-%m-%d")
                data[f"{bound.html_name}_1"] = local.strftime("%H:%M:%S")
                continue
            data[bound.html_name] = value
    return data

"""Form pieces other apps' admin pages share."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .selectors import variant_ids_by_sku


class SkuLinesField(forms.CharField):
    """A textarea of 'SKU quantity' lines, cleaned to ``{variant_id: quantity}`` (one query).

    Every unreadable line and unknown SKU is reported at once; a SKU given twice adds up.
    """

    widget = forms.Textarea(attrs={"rows": 5})
    default_help_text = _("One line per item: SKU and quantity, e.g. 'BUT-001-42 2'.")

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", self.default_help_text)
        super().__init__(**kwargs)

    def clean(self, value) -> dict[int, int]:
        text = super().clean(value)
        wanted: dict[str, int] = {}
        errors = []
        for raw in (text or "").splitlines():
            parts = raw.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
                errors.append(_("Cannot read line '%(line)s'.") % {"line": raw.strip()})
                continue
            wanted[parts[0]] = wanted.get(parts[0], 0) + int(parts[1])
        known = variant_ids_by_sku(skus=wanted)
        errors += [_("Unknown SKU %(sku)s.") % {"sku": sku} for sku in wanted if sku not in known]
        if not wanted and not errors:
            errors.append(_("Add at least one line."))
        if errors:
            raise ValidationError(errors)
        return {known[sku]: quantity for sku, quantity in wanted.items()}


class AttributesWidget(forms.Widget):
    """Free attributes as rows of name and value text inputs: the stored pairs and a few empty rows
    for new ones (save to get more). Posted as ``<name>_key`` / ``<name>_value`` lists."""

    template_name = "catalog/widgets/attributes.html"
    blank_rows = 3

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pairs = value if isinstance(value, list) else list((value or {}).items()) if isinstance(value, dict) else []
        rows = [(key, text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)) for key, text in pairs]
        context["widget"]["rows"] = rows + [("", "")] * self.blank_rows
        return context

    def value_from_datadict(self, data, files, name):
        keys, values = data.getlist(f"{name}_key"), data.getlist(f"{name}_value")
        return list(zip(keys, values, strict=False))

    def data_for(self, name, value) -> dict:
        """What a browser posts for ``value`` (a dict) with no row changed."""
        pairs = list((value or {}).items())
        return {f"{name}_key": [k for k, _v in pairs], f"{name}_value": [v for _k, v in pairs]}

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_key" not in data


class AttributesField(forms.Field):
    """Cleans the rows to ``{"material": "leather", ...}``: names trimmed, empty rows dropped, a
    value without a name or a name given twice refused. Values are text."""

    widget = AttributesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("One attribute per row, e.g. material: leather. Empty rows are ignored."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        attributes, errors = {}, []
        for key, text in value or []:
            key, text = (key or "").strip(), (text or "").strip()
            if not key and not text:
                continue
            if not key:
                errors.append(_("The value %(value)s has no name.") % {"value": text})
            elif key in attributes:
                errors.append(_("The attribute %(name)s is given twice.") % {"name": key})
            else:
                attributes[key] = text
        if errors:
            raise ValidationError(errors)
        return attributes

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or {})
        except ValidationError:
            return True

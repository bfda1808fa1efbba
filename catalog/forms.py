"""Form pieces other apps' admin pages share."""

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

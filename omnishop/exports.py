"""CSV exports of admin lists (django-import-export): export only, never import.

A list's export holds the rows the changelist shows (its search, filters and the store staff
scoping, since it reads the admin's own queryset) and is offered to whoever may view the list.
Values are written for spreadsheets: amounts as plain decimals with a dot and no thousands
separator (the currency in its own column), times in Europe/Warsaw as ``YYYY-MM-DD HH:MM:SS``,
choices by their label, and a UTF-8 byte order mark so Excel reads Polish letters right.
"""

from decimal import Decimal

from django.utils import timezone
from import_export import fields, widgets
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV


class DecimalPlainWidget(widgets.Widget):
    """``1234.50``: what every spreadsheet reads as a number (no grouping, no symbol)."""

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return ""
        return format(Decimal(value), "f")


class LocalDateTimeWidget(widgets.Widget):
    """An aware datetime in the site's time zone, ``2026-12-03 15:04:05``; empty for none."""

    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class PlainWidget(widgets.Widget):
    """Text and whole numbers as they are (``None`` as empty)."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


def text_column(attribute: str, label) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=label, widget=PlainWidget(), readonly=True)


def money_column(attribute: str, label) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=label, widget=DecimalPlainWidget(), readonly=True)


def time_column(attribute: str, label) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=label, widget=LocalDateTimeWidget(), readonly=True)


def choice_column(field_name: str, label) -> fields.Field:
    """A choice field by its label in the request's language (``get_<field>_display``)."""
    return fields.Field(attribute=f"get_{field_name}_display", column_name=label, widget=PlainWidget(), readonly=True)


class CsvExportMixin(ExportMixin):
    """An "Export to CSV" button on the changelist: one GET downloads the shown rows as CSV.

    A resource's ``select_related`` names the relations its columns read, joined in the same
    query so the export's query count does not grow with its rows.
    """

    export_formats = [CSV]
    skip_export_form = True  # the changelist's filters already chose the rows; all columns go
    to_encoding = "utf-8-sig"

    def has_export_permission(self, request):
        return self.has_view_or_change_permission(request)

    def get_export_queryset(self, request):
        queryset = super().get_export_queryset(request)
        related = {
            name for cls in self.get_export_resource_classes(request) for name in getattr(cls, "select_related", ())
        }
        return queryset.select_related(*sorted(related)) if related else queryset

    def get_export_resource_kwargs(self, request, **kwargs):
        # The resource learns who exports (a customer list records whose data left in the file).
        return {**super().get_export_resource_kwargs(request, **kwargs), "request": request}

    def get_export_filename(self, request, queryset, file_format):
        stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
        return f"{self.opts.model_name}-{stamp}.{file_format.get_extension()}"

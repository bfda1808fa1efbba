"""Admin pieces shared by every app."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from .exceptions import DomainError
from .history import admin_history_record


def short_time(value) -> str:
    """A list column's date and time, local and to the minute ("2026-12-02 19:14"), or "-"."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class WideChangelistMixin:
    """A changelist with many columns: without the app sidebar its whole row fits a laptop
    screen (1366 px) instead of scrolling its last columns out of sight."""

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "is_nav_sidebar_enabled": False})


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only by services (ledgers, histories, the outbox): view, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SharedChoicesInlineMixin:
    """For inlines with foreign-key selects: the choices are read once per page, not once per row.

    Django copies a ``ModelChoiceField`` into every inline form with a fresh queryset, so each
    row's select runs its own query. Listing the choices once when the formset class is built
    (once per request) keeps the page's query count flat; validation still uses the queryset.
    Meant for small tables (channels, currencies, roles); use ``raw_id_fields`` for large ones.
    """

    shared_choice_fields: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name in self.shared_choice_fields:
            field.choices = list(field.choices)
        return field


def admin_form_page(
    request, model_admin, *, title, form, submit_label, template="admin/omnishop/form_page.html", **extra
) -> TemplateResponse:
    """A model admin's own form page (place an order, adjust stock, ...): the admin chrome,
    breadcrumbs back to the changelist, the form and one submit button."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "submit_label": submit_label,
        "opts": model_admin.model._meta,
        **extra,
    }
    return TemplateResponse(request, template, context)


def service_action(
    *,
    name: str,
    description,
    run,
    describe=str,
    done_message=None,
    select_related=(),
    permissions=("change",),
    history=None,
):
    """An admin action that calls a service for each selected row, ``run(obj, request)``.
    Offered to users with ``permissions`` (Django's ``has_<name>_permission`` of the ModelAdmin).

    A ``DomainError`` is reported against its row (``describe(obj)``) and the other rows go on.
    Successes: one ``done_message % {"n": count}`` (an ngettext_lazy keyed on ``n``), or without
    it one message per row. With ``history`` (what was done, e.g. "Transfer shipped."), each row
    done gets that entry in its admin history, by the user who ran the action.
    """

    @admin.action(description=description, permissions=list(permissions))
    def action(modeladmin, request, queryset):
        done = 0
        for obj in queryset.select_related(*select_related).order_by("pk"):
            try:
                run(obj, request)
            except DomainError as exc:
                modeladmin.message_user(request, f"{describe(obj)}: {exc.detail}", messages.ERROR)
                continue
            done += 1
            if history is not None:
                admin_history_record(actor=request.user, obj=obj, message=history)
            if done_message is None:
                modeladmin.message_user(request, f"{describe(obj)}: {description}", messages.SUCCESS)
        if done and done_message is not None:
            modeladmin.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    action.__name__ = name
    return action

"""Admin pieces shared by every app."""

from django.contrib import admin
from django.template.response import TemplateResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only by services (ledgers, histories, the outbox): view, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omnishop.admin import ReadOnlyAdmin

from .models import OutboxEvent


class DeliveredFilter(admin.SimpleListFilter):
    title = _("delivered")
    parameter_name = "delivered"

    def lookups(self, request, model_admin):
        return [("yes", _("Delivered")), ("no", _("Pending"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(delivered_at__isnull=True)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "type", "version", "aggregate_type", "aggregate_id", "delivered_at"]
    list_filter = [DeliveredFilter, "type", "aggregate_type", "created_at"]
    search_fields = ["=id", "type", "aggregate_id", "coalesce_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omnishop.admin import ReadOnlyAdmin

from .models import Allocation, Location, StockHold, StockLevel, StockMovement, Transfer, TransferLine


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "ships_online",
        "click_and_collect",
        "ship_from_store",
        "ring_fence",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "ships_online", "click_and_collect", "ship_from_store", "city"]
    search_fields = ["code", "name", "city", "postal_code", "street"]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active")}),
        (_("Address"), {"fields": ("street", "postal_code", "city", "country", "phone")}),
        (_("Geo"), {"fields": ("latitude", "longitude")}),
        (
            _("Services"),
            {"fields": ("ships_online", "click_and_collect", "ship_from_store", "ring_fence", "opening_hours")},
        ),
    )


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["variant", "location", "on_hand", "allocated", "safety_stock", "updated_at"]
    list_filter = ["location__kind", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["variant__sku", "variant__ean", "location__code"]
    autocomplete_fields = ["variant", "location"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "variant", "location", "quantity", "on_hand_after", "reference", "actor"]
    list_filter = ["kind", "location", "created_at"]
    list_select_related = ["variant", "location", "actor"]
    search_fields = ["variant__sku", "reference", "idempotency_key", "location__code"]
    date_hierarchy = "created_at"


@admin.register(StockHold)
class StockHoldAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "variant", "location", "quantity", "expires_at"]
    list_filter = ["kind", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["reference", "variant__sku"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "variant", "location", "quantity", "status", "created_at", "closed_at"]
    list_filter = ["status", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["reference", "variant__sku"]


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    fields = ["variant", "quantity"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "source", "destination", "status", "reference", "created_at", "shipped_at", "received_at"]
    list_filter = ["status", "source", "destination"]
    list_select_related = ["source", "destination"]
    search_fields = ["reference", "source__code", "destination__code"]
    inlines = [TransferLineInline]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Location


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
        "is_active",
    ]
    list_filter = ["kind", "is_active", "ships_online", "click_and_collect", "ship_from_store", "city"]
    search_fields = ["code", "name", "city", "postal_code", "street"]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active")}),
        (_("Address"), {"fields": ("street", "postal_code", "city", "country", "phone")}),
        (_("Geo"), {"fields": ("latitude", "longitude")}),
        (_("Services"), {"fields": ("ships_online", "click_and_collect", "ship_from_store", "opening_hours")}),
    )

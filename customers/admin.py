from django.contrib import admin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "city", "user", "created_at"]
    list_filter = ["city", "created_at"]
    list_select_related = ["user"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]

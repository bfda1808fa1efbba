from django.contrib import admin

from .models import Company, CompanyMembership, Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "city", "user", "created_at"]
    list_filter = ["city", "created_at"]
    list_select_related = ["user"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]


class MembershipInline(admin.TabularInline):
    model = CompanyMembership
    autocomplete_fields = ["customer"]
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_id", "city", "email", "created_at"]
    search_fields = ["name", "tax_id", "email"]
    list_filter = ["city"]
    inlines = [MembershipInline]

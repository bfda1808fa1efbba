from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from omnishop.phone import phone_e164

from .models import Company, CompanyMembership, Customer
from .selectors import customer_search


class CustomerForm(forms.ModelForm):
    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        return phone_e164(phone) if phone else ""


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_display = ["__str__", "email", "phone", "city", "language", "notification_channel", "user", "created_at"]
    list_filter = ["city", "language", "notification_channel", "created_at"]
    list_select_related = ["user"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    search_help_text = _("Name, e-mail, phone in any format, loyalty card or order number.")
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]

    def get_search_results(self, request, queryset, search_term):
        # One search for the list and the customer pickers (autocomplete): customer_search.
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=customer_search(text=search_term).values("pk")), False


class MembershipInline(admin.TabularInline):
    """The company's members: the person is fixed once added (its role may change, the row may go)."""

    model = CompanyMembership
    fields = ["customer", "role"]
    readonly_fields = ["customer"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # members join through NewMembershipInline

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "company")


class NewMembershipFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        chosen = {form: form.cleaned_data.get("customer") for form in self.forms if form.cleaned_data}
        if self.instance.pk is None or not any(chosen.values()):
            return
        members = set(
            CompanyMembership.objects.filter(
                company=self.instance, customer__in=[c for c in chosen.values() if c]
            ).values_list("customer_id", flat=True)
        )
        for form, customer in chosen.items():
            if customer is not None and customer.pk in members:
                form.add_error("customer", _("This person is already a member of the company."))


class NewMembershipInline(admin.TabularInline):
    """Adds members, choosing the person by search (the autocomplete widget reads one row per
    selected value, so it serves new rows only)."""

    model = CompanyMembership
    formset = NewMembershipFormSet
    fields = ["customer", "role"]
    autocomplete_fields = ["customer"]
    extra = 0
    verbose_name = _("new company member")
    verbose_name_plural = _("new company members")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_id", "city", "email", "created_at"]
    search_fields = ["name", "tax_id", "email"]
    list_filter = ["city"]
    inlines = [MembershipInline, NewMembershipInline]

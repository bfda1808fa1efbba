"""Admin pages of loyalty's points: accounts with their lots and ledger (read only: only the
services write them), goodwill points granted through ``points_adjust``, earning rules and tiers."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omnishop.admin import ReadOnlyAdmin, admin_form_page
from omnishop.exceptions import DomainError
from omnishop.history import admin_history_record

from ..models import EarningRule, LoyaltyAccount, PointsEntry, PointsLot, Tier, TierChange
from ..services.points import GRANT_PERMISSION, points_adjust

INLINE_ROWS = 50


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PointsLotInline(_ReadOnlyInline):
    model = PointsLot
    fields = readonly_fields = ["points", "remaining", "state", "release_at", "expires_at", "reference", "expired"]
    verbose_name_plural = gettext_lazy("Lots")


class PointsEntryInline(_ReadOnlyInline):
    model = PointsEntry
    fields = readonly_fields = ["created_at", "kind", "points", "affects", "source", "reference", "actor", "reason"]
    verbose_name_plural = gettext_lazy("Ledger")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TierChangeInline(_ReadOnlyInline):
    model = TierChange
    fields = readonly_fields = ["created_at", "from_tier", "to_tier", "earned_12m", "reason"]
    verbose_name_plural = gettext_lazy("Tier history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_tier", "to_tier")


class GoodwillForm(forms.Form):
    points = forms.IntegerField(
        label=gettext_lazy("Points"), help_text=gettext_lazy("Negative to take points back."), min_value=-100000
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "balance", "pending", "tier", "updated_at", "grant_link"]
    list_select_related = ["customer", "tier"]
    list_filter = ["tier"]
    search_fields = ["customer__email", "customer__last_name", "customer__phone"]
    readonly_fields = ["customer", "balance", "pending", "tier", "created_at", "updated_at"]
    fields = readonly_fields
    inlines = [PointsLotInline, PointsEntryInline, TierChangeInline]

    @admin.display(description=gettext_lazy("Goodwill"))
    def grant_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:loyalty_points_grant", args=[obj.pk]), _("Grant"))

    def get_urls(self):
        return [
            path("<int:pk>/grant/", self.admin_site.admin_view(self.grant_view), name="loyalty_points_grant"),
            *super().get_urls(),
        ]

    def grant_view(self, request, pk: int):
        """Goodwill points (or points taken back) with a reason, through ``points_adjust``."""
        if not request.user.has_perm(GRANT_PERMISSION):
            raise PermissionDenied
        account = LoyaltyAccount.objects.select_related("customer").filter(pk=pk).first()
        if account is None:
            raise Http404
        form = GoodwillForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = points_adjust(customer=account.customer, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                for field, messages in exc.errors.items():
                    form.add_error(field if field in form.fields else None, messages)
                if not exc.errors:
                    form.add_error(None, str(exc.detail))
            else:
                message = _("%(points)+d points: %(reason)s") % {"points": entry.points, "reason": entry.reason}
                admin_history_record(actor=request.user, obj=account, message=message)
                self.message_user(request, message)
                return redirect("admin:loyalty_loyaltyaccount_change", account.pk)
        return admin_form_page(
            request,
            self,
            title=_("Goodwill points for %(customer)s") % {"customer": account.customer},
            form=form,
            submit_label=_("Record"),
        )


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "points", "affects", "source", "reference", "actor"]
    list_select_related = ["account__customer", "actor"]
    list_filter = ["kind", "affects", "source"]
    search_fields = ["reference", "account__customer__email"]
    date_hierarchy = "created_at"


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "priority", "stop", "is_active", "valid_from", "valid_to"]
    list_filter = ["kind", "is_active"]
    list_editable = ["priority", "is_active"]
    search_fields = ["name"]
    ordering = ["priority", "id"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "threshold", "multiplier"]
    ordering = ["threshold"]

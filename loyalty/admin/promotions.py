"""Admin pages of loyalty's promotions: promotions with their coupons inline (counters read only),
coupons with a CSV export, redemptions read only, and the page that bulk-generates personal
single-use codes and downloads them as CSV (through ``coupons_generate``, actor=request.user)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import resources

from customers.models import Customer
from omnishop.exceptions import DomainError
from omnishop.exports import CsvExportMixin, text_column, time_column

from ..models import Coupon, CouponRedemption, Promotion
from ..services.coupons import MAX_GENERATE, coupons_generate


class CouponExportResource(resources.Resource):
    code = text_column("code", _("code"))
    promotion = text_column("promotion__name", _("promotion"))
    customer_id = text_column("customer_id", _("customer ID"))
    single_use = text_column("single_use", _("single use"))
    uses = text_column("uses", _("uses"))
    expires_at = time_column("expires_at", _("expires"))
    created_at = time_column("created_at", _("created"))

    select_related = ("promotion",)

    def __init__(self, request=None, **kwargs):
        super().__init__(**kwargs)


class CouponInline(admin.TabularInline):
    model = Coupon
    extra = 0
    fields = ["code", "customer", "single_use", "expires_at", "uses", "created_at"]
    # New codes added here are public; personal ones are generated or given from the card.
    readonly_fields = ["customer", "uses", "created_at"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "value", "scope", "automatic", "exclusive", "priority", "uses", "is_active"]
    list_filter = ["is_active", "automatic", "kind", "scope", "exclusive"]
    search_fields = ["name"]
    readonly_fields = ["uses", "created_at"]
    filter_horizontal = ["categories", "brands", "channels"]
    raw_id_fields = ["variants", "target_customers"]
    inlines = [CouponInline]
    fieldsets = [
        (None, {"fields": ["name", "description", "is_active", "automatic", "exclusive", "priority"]}),
        (_("What it gives"), {"fields": ["kind", "value", "currency"]}),
        (_("Buy X get Y"), {"fields": ["buy_quantity", "get_quantity", "get_discount_percent", "cheapest_free"]}),
        (_("On what"), {"fields": ["scope", "categories", "brands", "variants"]}),
        (
            _("When, where and for whom"),
            {
                "fields": [
                    "valid_from",
                    "valid_to",
                    "channel_kinds",
                    "channels",
                    "target_tier_codes",
                    "target_customers",
                    "min_basket_amount",
                ]
            },
        ),
        (_("Limits"), {"fields": ["max_uses", "max_uses_per_customer", "uses", "created_at"]}),
    ]

    def get_urls(self):
        return [
            path(
                "<int:promotion_id>/generate/",
                self.admin_site.admin_view(self.generate_view),
                name="loyalty_promotion_generate",
            ),
            *super().get_urls(),
        ]

    def generate_view(self, request, promotion_id: int):
        promotion = get_object_or_404(Promotion, pk=promotion_id)
        if not (self.has_change_permission(request, promotion) and request.user.has_perm("loyalty.add_coupon")):
            raise PermissionDenied
        form = GenerateCodesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                coupons = coupons_generate(
                    promotion=promotion,
                    count=form.cleaned_data["count"] or 0,
                    prefix=form.cleaned_data["prefix"],
                    customers=form.cleaned_data["customers"],
                    expires_at=form.cleaned_data["expires_at"],
                    actor=request.user,
                )
            except DomainError as error:
                messages.error(request, error.detail)
            else:
                return coupons_csv_response(promotion=promotion, coupons=coupons)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Generate single-use codes"),
            "promotion": promotion,
            "form": form,
        }
        return TemplateResponse(request, "admin/loyalty/promotion/generate.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "generate_url": reverse("admin:loyalty_promotion_generate", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def coupons_csv_response(*, promotion: Promotion, coupons: list[Coupon]) -> HttpResponse:
    """The codes just generated, as a CSV download (the export's columns and encoding)."""
    for coupon in coupons:
        coupon.promotion = promotion
    dataset = CouponExportResource().export(queryset=coupons)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = HttpResponse(dataset.csv.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="codes-{promotion.pk}-{stamp}.csv"'
    return response


class GenerateCodesForm(forms.Form):
    count = forms.IntegerField(
        label=_("how many codes"), min_value=1, max_value=MAX_GENERATE, required=False,
        help_text=_("Ignored when customers are given: one code each."),
    )  # fmt: skip
    prefix = forms.CharField(label=_("prefix"), max_length=12, required=False, help_text=_("e.g. SPRING-"))
    customers = forms.CharField(
        label=_("customers"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Customer IDs or e-mail addresses, one a line: each gets a personal code."),
    )  # fmt: skip
    expires_at = forms.DateTimeField(label=_("expires"), required=False)

    def clean_customers(self):
        wanted = [v.strip() for v in self.cleaned_data["customers"].split() if v.strip()]
        if not wanted:
            return None
        ids = {int(v) for v in wanted if v.isdigit()}
        emails = {v.lower() for v in wanted if not v.isdigit()}
        found = list(Customer.objects.filter(pk__in=ids)) + list(Customer.objects.filter(email__in=emails))
        known = {str(c.pk) for c in found} | {c.email.lower() for c in found}
        missing = [v for v in wanted if v.lower() not in known]
        if missing:
            raise forms.ValidationError(_("Unknown customers: %(list)s") % {"list": ", ".join(missing[:20])})
        return list({c.pk: c for c in found}.values())

    def clean(self):
        data = super().clean()
        if not data.get("customers") and not data.get("count") and not self.errors:
            raise forms.ValidationError(_("Say how many codes, or list the customers."))
        return data


@admin.register(Coupon)
class CouponAdmin(CsvExportMixin, admin.ModelAdmin):
    resource_classes = [CouponExportResource]
    list_display = ["code", "promotion", "customer", "single_use", "uses", "expires_at", "created_at"]
    list_filter = ["single_use", "promotion"]
    list_select_related = ["promotion", "customer"]
    search_fields = ["=code", "customer__email", "promotion__name"]
    raw_id_fields = ["customer"]
    readonly_fields = ["uses", "reason", "given_by", "created_at"]


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "coupon",
        "promotion",
        "customer",
        "reference",
        "channel_code",
        "amount",
        "currency",
        "released_at",
    ]
    list_filter = ["channel_code", "promotion", "created_at"]
    list_select_related = ["coupon", "promotion", "customer"]
    search_fields = ["=reference", "=coupon__code", "customer__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Admin pages of loyalty's wallets: gift cards and store-credit accounts, each with its ledger
read only. Every write goes through a service with ``actor=request.user``: the "add" page of a
gift card is the issue form (it shows the full code once, on the page that answers the POST,
never in a URL or a message), the "add" page of store credit is the grant form, and blocking is
an action with a reason."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.models import Customer
from omnishop.exceptions import DomainError
from omnishop.money import currency_choices, money_display

from ..models import GiftCard, GiftCardEntry, StoreCreditAccount, StoreCreditEntry
from ..services.giftcards import giftcard_block, giftcard_code_normalise, giftcard_issue
from ..services.store_credit import store_credit_grant

ISSUE_PERMISSION = "loyalty.issue_gift_card"
GRANT_PERMISSION = "loyalty.grant_store_credit"


class _ReadOnlyLedger(admin.TabularInline):
    extra = 0
    can_delete = False
    ordering = ["-id"]
    fields = ["created_at", "kind", "amount", "balance_after", "reference", "channel_code", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class GiftCardEntryInline(_ReadOnlyLedger):
    model = GiftCardEntry


class StoreCreditEntryInline(_ReadOnlyLedger):
    model = StoreCreditEntry
    fields = ["created_at", "kind", "source", "amount", "balance_after", "reference", "channel_code", "actor", "reason"]
    readonly_fields = fields


class ExpiryFilter(admin.SimpleListFilter):
    title = gettext_lazy("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [("past", _("Past")), ("30d", _("Within 30 days")), ("later", _("Later"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "past":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "30d":
            return queryset.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=30))
        if self.value() == "later":
            return queryset.filter(expires_at__gt=now + timedelta(days=30))
        return queryset


class GiftCardActionForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=255)


class GiftCardIssueForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=0.01)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=currency_choices, initial="PLN")
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255, help_text=gettext_lazy("Why it is given."))
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Owner (customer id)"),
        queryset=Customer.objects.all(),
        required=False,
        widget=forms.TextInput,
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        help_text=gettext_lazy("Empty: %(days)s days from today.")
        % {"days": settings.OMNISHOP_GIFT_CARD_VALIDITY_DAYS},
    )


@admin.register(GiftCard)
class GiftCardAdmin(admin.ModelAdmin):
    list_display = ["masked", "initial_shown", "balance_shown", "status", "expires_at", "issued", "customer"]
    list_filter = ["status", ExpiryFilter, "issued", "currency"]
    list_select_related = ["customer"]
    search_fields = ["reference"]
    search_help_text = gettext_lazy("The last 4 characters of the code, the full code, or the order number.")
    inlines = [GiftCardEntryInline]
    actions = ["block"]
    action_form = GiftCardActionForm
    fields = [
        "masked",
        "currency",
        "initial_amount",
        "balance",
        "status",
        "expires_at",
        "issued",
        "reference",
        "reason",
        "customer",
        "issued_by",
        "expiry_notice_sent_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("code"), ordering="last4")
    def masked(self, card: GiftCard) -> str:
        return str(card)

    @admin.display(description=gettext_lazy("initial amount"), ordering="initial_amount")
    def initial_shown(self, card: GiftCard) -> str:
        return money_display(card.initial_amount, card.currency)

    @admin.display(description=gettext_lazy("balance"), ordering="balance")
    def balance_shown(self, card: GiftCard) -> str:
        return money_display(card.balance, card.currency)

    def get_search_results(self, request, queryset, search_term):
        """Exact matches only: the last four characters, the whole code, or the sale's order number
        (no partial code search, which would let anyone enumerate codes)."""
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        code = giftcard_code_normalise(term)
        match = Q(reference=term)
        if len(code) == 4:
            match |= Q(last4=code)
        elif code:
            match |= Q(code=code)
        return queryset.filter(match), False

    def has_add_permission(self, request):
        return request.user.has_perm(ISSUE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """The issue form; on success the page shows the card's full code, this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"customer": request.GET.get("customer") or None}
        form = GiftCardIssueForm(request.POST or None, initial=initial)
        issued = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                card, code = giftcard_issue(
                    amount=data["amount"],
                    currency=data["currency"],
                    actor=request.user,
                    reason=data["reason"],
                    customer=data["customer"],
                    expires_at=data["expires_at"],
                )
            except DomainError as refused:
                form.add_error(None, refused.detail)
            else:
                self.log_addition(request, card, [{"added": {}}])
                issued = {"card": card, "code": code}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Issue a gift card"),
            "form": form,
            "issued": issued,
            **(extra_context or {}),
        }
        response = TemplateResponse(request, "admin/loyalty/giftcard/issue.html", context)
        response["Cache-Control"] = "no-store"  # the page shows a code: no copy in any cache
        return response

    @admin.action(description=gettext_lazy("Block the selected gift cards (give a reason)"), permissions=["issue"])
    def block(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason to block gift cards."), messages.ERROR)
            return
        blocked = 0
        for card in queryset:
            giftcard_block(card=card, actor=request.user, reason=reason)
            self.log_change(request, card, [{"changed": {"fields": ["status"]}}])
            blocked += 1
        self.message_user(
            request, ngettext("%(n)d gift card blocked.", "%(n)d gift cards blocked.", blocked) % {"n": blocked}
        )

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm(ISSUE_PERMISSION)


class StoreCreditGrantForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Customer (id)"), queryset=Customer.objects.all(), widget=forms.TextInput
    )
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=0.01)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=currency_choices, initial="PLN")
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)
    reference = forms.CharField(label=gettext_lazy("Order or return number"), max_length=64, required=False)


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(admin.ModelAdmin):
    list_display = ["customer", "balance_shown", "updated_at"]
    list_filter = ["currency"]
    list_select_related = ["customer"]
    search_fields = ["customer__email", "customer__last_name", "customer__phone"]
    inlines = [StoreCreditEntryInline]
    fields = ["customer", "currency", "balance", "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("balance"), ordering="balance")
    def balance_shown(self, account: StoreCreditAccount) -> str:
        return money_display(account.balance, account.currency)

    def has_add_permission(self, request):
        return request.user.has_perm(GRANT_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """The grant form (reason required); grants an agent's goodwill credit."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StoreCreditGrantForm(request.POST or None, initial={"customer": request.GET.get("customer") or None})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = store_credit_grant(
                    customer=data["customer"],
                    amount=data["amount"],
                    currency=data["currency"],
                    reason=data["reason"],
                    reference=data["reference"],
                    source=StoreCreditEntry.Source.AGENT,
                    actor=request.user,
                )
            except (DomainError, ValidationError) as refused:
                form.add_error(None, getattr(refused, "detail", None) or refused.messages[0])
            else:
                self.log_change(request, entry.account, [{"changed": {"fields": ["balance"]}}])
                self.message_user(request, _("Store credit granted."))
                return redirect("admin:loyalty_storecreditaccount_change", entry.account.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Grant store credit"),
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/loyalty/storecreditaccount/grant.html", context)

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from omnishop.admin import ReadOnlyAdmin
from omnishop.exceptions import DomainError
from omnishop.exports import CsvExportMixin
from omnishop.phone import phone_e164

from .card import card_action_allowed, card_layout, card_render, card_section_get, order_place_url
from .models import Company, CompanyMembership, Customer, CustomerDataAccess
from .resources import CustomerExportResource
from .selectors import customer_search
from .services import (
    ErasureRefused,
    customer_data_export,
    customer_data_viewed,
    customer_erase,
    customer_erasure_blockers,
    customer_merge,
)


class CustomerForm(forms.ModelForm):
    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        return phone_e164(phone) if phone else ""


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label=_("Keep"), widget=forms.RadioSelect)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(str(c.pk), f"#{c.pk} {c}") for c in customers]


@admin.register(Customer)
class CustomerAdmin(CsvExportMixin, admin.ModelAdmin):
    """The 360° customer card: the change page shows the card's sections (``customers.card``,
    with those the apps above register) above the profile form; every opening is recorded
    (``customer_data_viewed``). The list exports to CSV."""

    resource_classes = [CustomerExportResource]
    form = CustomerForm
    change_form_template = "admin/customers/customer/change_form.html"
    actions = ["merge_selected"]
    list_display = ["__str__", "email", "phone", "city", "language", "notification_channel", "user", "created_at"]
    list_filter = ["city", "language", "notification_channel", "created_at"]
    list_select_related = ["user"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    search_help_text = _("Name, e-mail, phone in any format, loyalty card or order number.")
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    profile_fields = [
        ("first_name", "last_name"),
        ("email", "phone"),
        "city",
        ("language", "notification_channel"),
        "user",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new customer: the plain form
            return [(None, {"fields": self.profile_fields})]
        return [(_("Edit profile"), {"fields": [*self.profile_fields, "created_at"]})]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            if request.method == "GET":
                customer_data_viewed(customer=obj, user=request.user)
            context.update(self._card_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _card_context(self, request, customer: Customer) -> dict:
        user = request.user
        sections = card_render(customer=customer, request=request)
        return {
            "title": str(customer),
            "subtitle": _("Customer card #%(pk)s") % {"pk": customer.pk},
            "card_sections": sections,
            "card_layout": card_layout(sections),
            "card_back": _card_query(request.GET),
            "is_nav_sidebar_enabled": False,
            "place_url": order_place_url(customer) if user.has_perm("orders.add_order") else "",
            "can_export": user.has_perm("customers.export_customer"),
            "can_erase": user.has_perm("customers.erase_customer") and customer.erased_at is None,
        }

    def _customer_or_404(self, request, object_id) -> Customer:
        customer = self.get_object(request, unquote(object_id))
        if customer is None or not self.has_view_permission(request, customer):
            raise Http404
        return customer

    @method_decorator(require_POST)
    def card_action_view(self, request, object_id, section, action):
        """An agent's action from a section of the card: its service runs, the card shows the outcome."""
        customer = self._customer_or_404(request, object_id)
        card_section = card_section_get(section)
        card_action = card_section.action(action) if card_section else None
        if card_action is None:
            raise Http404
        if card_section.permission and not request.user.has_perm(card_section.permission):
            raise PermissionDenied
        if not card_action_allowed(card_action, request.user):
            raise PermissionDenied
        try:
            done = card_action.run(customer, request)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        back = _card_query(request.POST, prefix="back_")
        url = reverse("admin:customers_customer_change", args=[customer.pk])
        return redirect(f"{url}?{urlencode(back)}" if back else url)

    @method_decorator(require_POST)
    def export_view(self, request, object_id):
        """Everything omnishop holds about the customer, as a JSON file (GDPR art. 15 and 20)."""
        if not request.user.has_perm("customers.export_customer"):
            raise PermissionDenied
        customer = self._customer_or_404(request, object_id)
        document = customer_data_export(customer=customer, actor=request.user)
        response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
        return response

    def erase_view(self, request, object_id):
        """GDPR art. 17: what stops the erasure now, then the erasure after a confirmation."""
        if not request.user.has_perm("customers.erase_customer"):
            raise PermissionDenied
        customer = self._customer_or_404(request, object_id)
        card_url = reverse("admin:customers_customer_change", args=[customer.pk])
        if request.method == "POST":
            try:
                customer_erase(customer=customer, actor=request.user)
            except ErasureRefused as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return redirect("admin:customers_customer_erase", customer.pk)
            self.message_user(request, _("The customer's personal data was erased."), messages.SUCCESS)
            return redirect(card_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase the personal data of %(customer)s") % {"customer": customer},
            "opts": self.model._meta,
            "original": customer,
            "card_url": card_url,
            "blockers": customer_erasure_blockers(customer),
        }
        return TemplateResponse(request, "admin/customers/customer/erase.html", context)

    def get_urls(self):
        return [
            path("merge/", self.admin_site.admin_view(self.merge_view), name="customers_customer_merge"),
            path(
                "<path:object_id>/card/<slug:section>/<slug:action>/",
                self.admin_site.admin_view(self.card_action_view),
                name="customers_customer_card_action",
            ),
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="customers_customer_export",
            ),
            path(
                "<path:object_id>/erase/", self.admin_site.admin_view(self.erase_view), name="customers_customer_erase"
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Merge the two selected customers"), permissions=["merge"])
    def merge_selected(self, request, queryset):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:3])
        if len(ids) != 2:
            self.message_user(request, _("Select exactly two customers to merge."), messages.WARNING)
            return None
        return redirect(f"{reverse('admin:customers_customer_merge')}?ids={ids[0]},{ids[1]}")

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm("customers.merge_customer")

    def merge_view(self, request):
        """Side by side: both customers, what each has, and which one to keep; then the merge."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        try:
            ids = [int(x) for x in request.GET.get("ids", "").split(",")][:2]
        except ValueError:
            ids = []
        pair = [get_object_or_404(Customer, pk=pk) for pk in dict.fromkeys(ids)]
        if len(pair) != 2:
            self.message_user(request, _("Select exactly two customers to merge."), messages.WARNING)
            return redirect("admin:customers_customer_changelist")
        form = MergeForm(request.POST or None, customers=pair)
        if request.method == "POST" and form.is_valid():
            survivor = next(c for c in pair if str(c.pk) == form.cleaned_data["survivor"])
            duplicate = next(c for c in pair if c.pk != survivor.pk)
            try:
                customer_merge(survivor=survivor, duplicate=duplicate, actor=request.user)
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                self.message_user(
                    request,
                    _("%(duplicate)s was merged into %(survivor)s.")
                    % {"duplicate": f"#{duplicate.pk}", "survivor": survivor},
                    messages.SUCCESS,
                )
                return redirect("admin:customers_customer_change", survivor.pk)
        rows = Customer.objects.filter(pk__in=ids).prefetch_related("identities", "consents", "notes")
        sides = {c.pk: c for c in rows}
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge customers"),
            "opts": self.model._meta,
            "form": form,
            "sides": [_side(sides[c.pk]) for c in pair],
        }
        return TemplateResponse(request, "admin/customers/customer/merge.html", context)

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


# What of the card's query string an action keeps when it returns to the card.
CARD_QUERY_KEYS = ("orders_page", "order", "notes")


def _card_query(data, *, prefix: str = "") -> dict:
    return {k: data[prefix + k] for k in CARD_QUERY_KEYS if data.get(prefix + k)}


def _side(customer: Customer) -> dict:
    """What the merge page shows of one customer (prefetched identities, consents and notes)."""
    return {
        "customer": customer,
        "fields": [
            (_("name"), str(customer)),
            (_("e-mail"), customer.email or "—"),
            (_("phone"), customer.phone or "—"),
            (_("city"), customer.city or "—"),
            (_("login"), _("yes") if customer.user_id else _("no")),
            (_("created"), customer.created_at),
        ],
        "identities": [f"{i.get_kind_display()}: {i.value}" for i in customer.identities.all()],
        "consents": [
            f"{c.get_purpose_display()}: {_('given') if c.granted else _('withdrawn')}" for c in customer.consents.all()
        ],
        "notes": len(customer.notes.all()),
    }


@admin.register(CustomerDataAccess)
class CustomerDataAccessAdmin(ReadOnlyAdmin):
    """Who opened, exported or erased whose personal data, for the data-protection officer."""

    list_display = ["created_at", "kind", "customer", "user"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["customer", "user"]
    search_fields = ["=customer__id", "user__email"]
    date_hierarchy = "created_at"

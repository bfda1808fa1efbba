from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from omnishop.admin import ReadOnlyAdmin
from omnishop.exports import CsvExportMixin
from omnishop.phone import phone_e164

from .models import Company, CompanyMembership, Consent, Customer, CustomerDataAccess, CustomerIdentity, CustomerNote
from .resources import CustomerExportResource
from .selectors import customer_duplicates, customer_search
from .services import customer_merge, customer_note_add


class CustomerForm(forms.ModelForm):
    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        return phone_e164(phone) if phone else ""


class ReadOnlyTabular(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class IdentityInline(ReadOnlyTabular):
    model = CustomerIdentity
    fields = ["kind", "value", "channel", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


class ConsentInline(ReadOnlyTabular):
    """Consents as the customer gave them (changed through the API or ``consent_set``, which keep
    the history)."""

    model = Consent
    fields = ["purpose", "granted", "text_version", "updated_at"]
    readonly_fields = fields


class NoteInline(admin.TabularInline):
    """Notes: agents add them on the card (written through ``customer_note_add`` with the author)."""

    model = CustomerNote
    fields = ["text", "pinned", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False
    formfield_overrides = {}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("customers.add_customernote")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["widgets"] = {"text": forms.Textarea(attrs={"rows": 2, "cols": 60})}
        return super().get_formset(request, obj, **kwargs)


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label=_("Keep"), widget=forms.RadioSelect)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(str(c.pk), f"#{c.pk} {c}") for c in customers]


@admin.register(Customer)
class CustomerAdmin(CsvExportMixin, admin.ModelAdmin):
    resource_classes = [CustomerExportResource]
    form = CustomerForm
    inlines = [IdentityInline, ConsentInline, NoteInline]
    actions = ["merge_selected"]
    list_display = ["__str__", "email", "phone", "city", "language", "notification_channel", "user", "created_at"]
    list_filter = ["city", "language", "notification_channel", "created_at"]
    list_select_related = ["user"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    search_help_text = _("Name, e-mail, phone in any format, loyalty card or order number.")
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        return (
            [*super().get_readonly_fields(request, obj), "duplicates"] if obj else super().get_readonly_fields(request)
        )

    @admin.display(description=_("possible duplicates"))
    def duplicates(self, obj):
        found = list(customer_duplicates(customer=obj))
        if not found:
            return "—"
        merge = reverse("admin:customers_customer_merge")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">#{} {}</a> · {} · {} — <a href="{}?ids={},{}">{}</a>',
            (
                (
                    reverse("admin:customers_customer_change", args=[c.pk]),
                    c.pk,
                    c,
                    c.email or "—",
                    c.city or "—",
                    merge,
                    obj.pk,
                    c.pk,
                    _("compare and merge"),
                )
                for c in found
            ),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not CustomerNote:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            note = inline_form.instance
            if note.pk:  # an existing note: only its pin changes
                CustomerNote.objects.filter(pk=note.pk).update(pinned=inline_form.cleaned_data["pinned"])
                continue
            try:
                customer_note_add(
                    customer=form.instance,
                    text=inline_form.cleaned_data["text"],
                    pinned=inline_form.cleaned_data["pinned"],
                    actor=request.user,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    def get_urls(self):
        return [
            path("merge/", self.admin_site.admin_view(self.merge_view), name="customers_customer_merge"),
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

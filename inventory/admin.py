from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalog.forms import SkuLinesField
from catalog.models import Variant
from omnishop.admin import ReadOnlyAdmin, WideChangelistMixin, admin_form_page, service_action
from omnishop.exports import CsvExportMixin
from omnishop.history import ADDITION, admin_history_record

from .exceptions import IdempotencyConflict, InvalidTransferState, StockCountBelowAllocated
from .forms import OpeningHoursField
from .importers import row_errors_by_line, stock_csv_sync_id, stock_import_summary, stock_rows_from_csv
from .models import (
    Allocation,
    Location,
    StockHold,
    StockLevel,
    StockMovement,
    StockSync,
    Transfer,
    TransferLine,
)
from .resources import StockLevelExportResource
from .selectors import scoped_to_own_stores, stock_levels_with_availability
from .services import (
    LOCATION_EDITABLE_FIELDS,
    StockChange,
    SyncErrorPolicy,
    SyncMode,
    location_create,
    location_staff_set,
    location_update,
    stock_changes_apply,
    stock_safety_stock_set,
    stock_sync_apply,
    transfer_cancel,
    transfer_receive,
    transfer_request,
    transfer_ship,
)

WRITE_STOCK = "inventory.add_stockmovement"


class OwnStoresOnlyMixin:
    """Store staff see only the rows of the stores they work at (``store_lookups``: the location
    foreign keys a row belongs to a store by); another store's row is a 404."""

    store_lookups: tuple[str, ...] = ("location",)

    def get_queryset(self, request):
        return scoped_to_own_stores(super().get_queryset(request), user=request.user, lookups=self.store_lookups)


class LocationForm(forms.ModelForm):
    """The location admin's form (the admin supplies the model and the fieldsets' fields); the
    opening hours as seven weekday rows, checked by the model's validator."""

    opening_hours = OpeningHoursField()

    PICKUP_FIELDS = ("pickup_hold_days", "pickup_reminder_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.PICKUP_FIELDS:  # left empty: the store keeps its figure (or the default)
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name in self.PICKUP_FIELDS:
            if name in self.fields and data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name)
        return data


# What higher apps tell about a location on its change page (orders: today's pick load), as
# (label, figure(location) -> str); they register here, inventory imports none of them.
LOCATION_FIGURES: list[tuple[str, object]] = []


def location_figure_register(*, label: str, figure) -> None:
    """Show ``figure(location)`` under ``label`` in the location's "Today" box (once per label)."""
    if all(existing != label for existing, _figure in LOCATION_FIGURES):
        LOCATION_FIGURES.append((label, figure))


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "ships_online",
        "click_and_collect",
        "ship_from_store",
        "ring_fence",
        "daily_pick_capacity",
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
            {
                "fields": (
                    "ships_online",
                    "click_and_collect",
                    "ship_from_store",
                    "ring_fence",
                    "daily_pick_capacity",
                    "opening_hours",
                )
            },
        ),
        (_("Pickup"), {"fields": ("pickup_hold_days", "pickup_reminder_days")}),
        (_("Staff"), {"fields": ("staff",)}),
    )
    filter_horizontal = ["staff"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not LOCATION_FIGURES:
            return fieldsets
        # Right after the services, whose capacity it sets against today's figures.
        today = (_("Today"), {"fields": ("todays_figures",)})
        return [*fieldsets[:4], today, *fieldsets[4:]]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "todays_figures"] if obj is not None and LOCATION_FIGURES else fields

    @admin.display(description=_("load"))
    def todays_figures(self, obj) -> str:
        return format_html(
            '<dl class="location-figures">{}</dl>',
            format_html_join(
                "", "<dt>{}</dt><dd>{}</dd>", ((label, figure(obj)) for label, figure in LOCATION_FIGURES)
            ),
        )

    def save_form(self, request, form, change):
        """A new location is created here by ``location_create`` (the admin's form only checked
        it), so the staff and the redirect that follow see the created row."""
        obj = super().save_form(request, form, change)
        if change:
            return obj
        fields = {name: form.cleaned_data[name] for name in LOCATION_EDITABLE_FIELDS if name in form.cleaned_data}
        form.instance = location_create(**fields, actor=request.user)
        return form.instance

    def save_model(self, request, obj, form, change):
        """An edit through ``location_update``: what changes availability (active, ring-fence,
        the online and pickup flags) goes out as location.updated. Staff follow in save_related."""
        if change:
            # Every field the form cleaned: the service writes (and announces) only what differs.
            changes = {name: form.cleaned_data[name] for name in LOCATION_EDITABLE_FIELDS if name in form.cleaned_data}
            location_update(location=obj, changes=changes, actor=request.user)

    def save_related(self, request, form, formsets, change):
        """Staff through ``location_staff_set`` (the location has no inlines)."""
        if "staff" in form.cleaned_data:
            location_staff_set(location=form.instance, staff=form.cleaned_data["staff"], actor=request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":  # staff users only: customers with a shop login are users too
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(is_staff=True).order_by("email")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class StockImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, a header row naming location, sku and quantity (location code, SKU, whole number)."),
    )
    mode = forms.ChoiceField(
        label=_("mode"),
        choices=[
            (SyncMode.ABSOLUTE, _("Counts: on hand becomes the quantity")),
            (SyncMode.DELTA, _("Deltas: the quantity is added to on hand")),
        ],
    )
    error_policy = forms.ChoiceField(
        label=_("if rows fail"),
        choices=[
            (SyncErrorPolicy.REJECT_ALL, _("Any failed row: nothing is written")),
            (SyncErrorPolicy.REJECT_FAILED, _("Valid rows are written, failed rows reported")),
        ],
    )
    delimiter = forms.ChoiceField(label=_("delimiter"), choices=[(",", ","), (";", ";"), ("\t", _("tab"))])

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            raw = upload.read()
            try:
                data["rows"], data["lines"] = stock_rows_from_csv(raw, delimiter=data.get("delimiter") or ",")
            except ValidationError as exc:
                self.add_error("file", exc)
            data["sync_id"] = stock_csv_sync_id(raw, mode=data.get("mode") or "")
        return data


class StockAdjustForm(forms.Form):
    KINDS = [
        (StockMovement.Kind.COUNT, _("Count: on hand becomes the quantity")),
        (StockMovement.Kind.RECEIPT, _("Receipt: the quantity arrives")),
        (StockMovement.Kind.ADJUSTMENT, _("Adjustment: add the quantity (negative to remove)")),
    ]
    sku = forms.CharField(label=_("SKU"), max_length=64)
    location = forms.ModelChoiceField(label=_("location"), queryset=Location.objects.filter(is_active=True))
    kind = forms.ChoiceField(label=_("kind"), choices=KINDS)
    quantity = forms.IntegerField(label=_("quantity"))
    reference = forms.CharField(
        label=_("reference"), max_length=100, required=False, help_text=_("e.g. the delivery note or count sheet.")
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        sku, kind, quantity = data.get("sku", "").strip(), data.get("kind"), data.get("quantity")
        variant_id = Variant.objects.filter(sku=sku).values_list("pk", flat=True).first() if sku else None
        if sku and variant_id is None:
            self.add_error("sku", _("Unknown SKU %(sku)s.") % {"sku": sku})
        data["variant_id"] = variant_id
        if quantity is not None:
            if kind == StockMovement.Kind.COUNT and quantity < 0:
                self.add_error("quantity", _("A count cannot be negative."))
            elif kind == StockMovement.Kind.RECEIPT and quantity <= 0:
                self.add_error("quantity", _("Receive a positive number of units."))
            elif kind == StockMovement.Kind.ADJUSTMENT and quantity == 0:
                self.add_error("quantity", _("An adjustment changes at least one unit."))
        return data


class LowStockFilter(admin.SimpleListFilter):
    """Rows to reorder or move stock to: nothing left to sell, available no more than the
    safety stock, or no more than the low-stock threshold (``OMNISHOP_LOW_STOCK_THRESHOLD``)."""

    title = _("low stock")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        threshold = settings.OMNISHOP_LOW_STOCK_THRESHOLD
        return [
            ("out", _("Nothing available")),
            ("safety", _("Available at or below safety stock")),
            ("threshold", _("Available at most %(n)d") % {"n": threshold}),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "out":
                return queryset.filter(available__lte=0)
            case "safety":
                return queryset.filter(available__lte=F("safety_stock"))
            case "threshold":
                return queryset.filter(available__lte=settings.OMNISHOP_LOW_STOCK_THRESHOLD)
        return queryset


@admin.register(StockLevel)
class StockLevelAdmin(WideChangelistMixin, CsvExportMixin, OwnStoresOnlyMixin, admin.ModelAdmin):
    """Stock rows: read-only but for safety stock; goods in, counts and adjustments go through
    "Adjust stock" and "Import stock (CSV)", which write the ledger like the sync API.
    Available is what a till or a pickup order at that location could still take (on hand less
    allocated, held and safety stock), worked out in the list's one query."""

    resource_classes = [StockLevelExportResource]
    list_display = [
        "product_name",
        "sku",
        "location_name",
        "on_hand",
        "allocated",
        "held",
        "available",
        "safety_stock",
    ]
    list_display_links = ["product_name", "sku"]
    list_filter = [LowStockFilter, "location__kind", "location"]
    list_select_related = ["variant__product", "location"]
    search_fields = ["variant__product__name", "variant__sku", "=variant__ean", "location__code"]
    search_help_text = _("Product name, SKU, EAN or location code.")
    fields = ["variant", "location", "on_hand", "allocated", "held", "available", "safety_stock", "updated_at"]
    readonly_fields = ["variant", "location", "on_hand", "allocated", "held", "available", "updated_at"]
    change_list_template = "admin/inventory/stocklevel/change_list.html"

    def get_queryset(self, request):
        queryset = stock_levels_with_availability(online=False).select_related("variant__product", "location")
        if ordering := self.get_ordering(request):
            queryset = queryset.order_by(*ordering)
        return scoped_to_own_stores(queryset, user=request.user, lookups=self.store_lookups)

    @admin.display(description=_("product"), ordering="variant__product__name")
    def product_name(self, obj):
        return obj.variant.product.name

    @admin.display(description=_("SKU"), ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku

    @admin.display(description=_("location"), ordering="location__name")
    def location_name(self, obj):
        return obj.location.name

    @admin.display(description=_("held"), ordering="held")
    def held(self, obj):
        return obj.held

    @admin.display(description=_("available"), ordering="available")
    def available(self, obj):
        return obj.available

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        stock_safety_stock_set(level=obj, safety_stock=form.cleaned_data["safety_stock"], actor=request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="inventory_stocklevel_import"),
            path("adjust/", view(self.adjust_view), name="inventory_stocklevel_adjust"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "stock_write": request.user.has_perm(WRITE_STOCK),
            "import_url": reverse("admin:inventory_stocklevel_import"),
            "adjust_url": reverse("admin:inventory_stocklevel_adjust"),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """A POS/ERP/WMS file by hand: the same stock_sync_apply as the API and the command."""
        if not request.user.has_perm(WRITE_STOCK):
            raise PermissionDenied
        form = StockImportForm(request.POST or None, request.FILES or None)
        failed_rows = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = stock_sync_apply(
                    sync_id=data["sync_id"],
                    mode=data["mode"],
                    error_policy=data["error_policy"],
                    rows=data["rows"],
                    actor=request.user,
                    note=str(_("CSV import %(file)s") % {"file": data["file"].name[:150]}),
                )
            except (ValidationError, IdempotencyConflict, StockCountBelowAllocated) as exc:
                errors = exc.message_dict if isinstance(exc, ValidationError) else exc.errors
                failed_rows = row_errors_by_line(errors, data["lines"])
                refused = [str(m) for key, msgs in errors.items() if not key.startswith("rows.") for m in msgs]
                self.message_user(request, " ".join(refused) or _("Rows failed; nothing was imported."), messages.ERROR)
            else:
                failed_rows = row_errors_by_line(result.errors, data["lines"])
                sync = StockSync.objects.filter(sync_id=result.sync_id).first()
                admin_history_record(
                    actor=request.user,
                    obj=sync,
                    message=_(
                        "Imported from %(file)s (rows applied: %(applied)d, unchanged: %(unchanged)d, "
                        "failed: %(failed)d)."
                    )
                    % {
                        "file": data["file"].name[:150],
                        "applied": result.applied,
                        "unchanged": result.unchanged,
                        "failed": result.failed,
                    },
                    flag=ADDITION,
                )
                self.message_user(
                    request,
                    stock_import_summary(result),
                    messages.WARNING if failed_rows else messages.SUCCESS,
                )
                if not failed_rows:
                    return redirect("admin:inventory_stocklevel_changelist")
        return admin_form_page(
            request,
            self,
            title=_("Import stock (CSV)"),
            form=form,
            submit_label=_("Import"),
            template="admin/inventory/stocklevel/import.html",
            failed_rows=failed_rows,
        )

    def adjust_view(self, request):
        """Goods in, a shelf count or a correction for one SKU at one location, into the ledger."""
        if not request.user.has_perm(WRITE_STOCK):
            raise PermissionDenied
        form = StockAdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            kind, quantity = data["kind"], data["quantity"]
            change = StockChange(
                variant_id=data["variant_id"],
                location_id=data["location"].pk,
                kind=kind,
                quantity=None if kind == StockMovement.Kind.COUNT else quantity,
                count=quantity if kind == StockMovement.Kind.COUNT else None,
                note=data["note"],
            )
            try:
                outcome = stock_changes_apply(changes=[change], actor=request.user, reference=data["reference"])
            except StockCountBelowAllocated as exc:
                form.add_error(None, " ".join(str(m) for msgs in exc.errors.values() for m in msgs))
            else:
                if outcome.written:
                    level = StockLevel.objects.select_related("variant", "location").get(
                        variant_id=data["variant_id"], location_id=data["location"].pk
                    )
                    admin_history_record(
                        actor=request.user,
                        obj=level,
                        message=_("%(kind)s: %(quantity)d; on hand now %(on_hand)d. Reference: %(reference)s")
                        % {
                            "kind": StockMovement.Kind(kind).label,
                            "quantity": quantity,
                            "on_hand": level.on_hand,
                            "reference": data["reference"] or "-",
                        },
                    )
                    self.message_user(request, _("Stock updated; the ledger has the entry."), messages.SUCCESS)
                else:
                    self.message_user(request, _("On hand already matched: nothing to write."), messages.INFO)
                return redirect(reverse("admin:inventory_stocklevel_changelist") + f"?q={data['sku']}")
        return admin_form_page(request, self, title=_("Adjust stock"), form=form, submit_label=_("Save"))


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "variant", "location", "quantity", "on_hand_after", "reference", "actor"]
    list_filter = ["kind", "location", "created_at"]
    list_select_related = ["variant", "location", "actor"]
    search_fields = ["variant__sku", "reference", "idempotency_key", "location__code"]
    date_hierarchy = "created_at"


@admin.register(StockSync)
class StockSyncAdmin(ReadOnlyAdmin):
    """What each POS, ERP or WMS sync (and CSV import) sent and what became of its rows."""

    list_display = [
        "sync_id",
        "created_at",
        "mode",
        "error_policy",
        "received",
        "applied",
        "unchanged",
        "failed",
        "actor",
    ]
    list_filter = ["mode", "error_policy", "created_at"]
    list_select_related = ["actor"]
    search_fields = ["sync_id", "note"]
    date_hierarchy = "created_at"
    fields = [
        "sync_id",
        "created_at",
        "actor",
        "note",
        "mode",
        "error_policy",
        "received",
        "applied",
        "unchanged",
        "failed",
        "row_errors",
        "ledger",
        "fingerprint",
    ]
    readonly_fields = fields

    @admin.display(description=_("errors"))
    def row_errors(self, obj: StockSync):
        if not obj.errors:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}: {}</li>", ((key, " ".join(map(str, msgs))) for key, msgs in sorted(obj.errors.items()))
            ),
        )

    @admin.display(description=_("ledger entries"))
    def ledger(self, obj: StockSync):
        url = (
            reverse("admin:inventory_stockmovement_changelist") + "?" + urlencode({"reference": f"sync:{obj.sync_id}"})
        )
        return format_html('<a href="{}">{}</a>', url, _("Stock movements of this sync"))


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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant")  # each line shows its variant


class TransferRequestForm(forms.Form):
    source = forms.ModelChoiceField(label=_("from"), queryset=Location.objects.filter(is_active=True))
    destination = forms.ModelChoiceField(label=_("to"), queryset=Location.objects.filter(is_active=True))
    lines = SkuLinesField(label=_("lines"))
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)


def _transfer_action(service, description, done_message, history):
    def run(transfer, request):
        if transfer.reference.startswith("order:"):
            raise InvalidTransferState(
                _("It belongs to %(reference)s: use the order's fulfilment actions.")
                % {"reference": transfer.reference}
            )
        service(transfer=transfer, actor=request.user)

    return service_action(
        name=f"transfer_{service.__name__.removeprefix('transfer_')}",
        description=description,
        run=run,
        describe=lambda transfer: f"#{transfer.pk}",
        done_message=done_message,
        history=history,
    )


@admin.register(Transfer)
class TransferAdmin(OwnStoresOnlyMixin, admin.ModelAdmin):
    """Transfers between locations: requested here, shipped and received by action (the ledger
    gets TRANSFER_OUT and TRANSFER_IN entries). Click & collect transfers of orders move with
    their order's fulfilment instead. Store staff see the transfers from or to their stores."""

    store_lookups = ("source", "destination")

    list_display = ["id", "source", "destination", "status", "reference", "created_at", "shipped_at", "received_at"]
    list_filter = ["status", "source", "destination"]
    list_select_related = ["source", "destination"]
    search_fields = ["reference", "source__code", "destination__code"]
    readonly_fields = [f.name for f in Transfer._meta.fields]
    inlines = [TransferLineInline]
    change_list_template = "admin/inventory/transfer/change_list.html"
    actions = [
        _transfer_action(
            transfer_ship,
            _("Ship selected transfers"),
            ngettext_lazy("%(n)d transfer shipped.", "%(n)d transfers shipped.", "n"),
            _("Shipped: the goods left the source (ledger: transfer out)."),
        ),
        _transfer_action(
            transfer_receive,
            _("Receive selected transfers"),
            ngettext_lazy("%(n)d transfer received.", "%(n)d transfers received.", "n"),
            _("Received at the destination (ledger: transfer in)."),
        ),
        _transfer_action(
            transfer_cancel,
            _("Cancel selected transfers"),
            ngettext_lazy("%(n)d transfer cancelled.", "%(n)d transfers cancelled.", "n"),
            _("Cancelled."),
        ),
    ]

    def has_add_permission(self, request):
        return False  # "Request a transfer" runs the service

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("request/", self.admin_site.admin_view(self.request_view), name="inventory_transfer_request"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_request": request.user.has_perm("inventory.add_transfer"),
            "request_url": reverse("admin:inventory_transfer_request"),
        }
        return super().changelist_view(request, extra_context)

    def request_view(self, request):
        if not request.user.has_perm("inventory.add_transfer"):
            raise PermissionDenied
        form = TransferRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                transfer = transfer_request(
                    source=data["source"],
                    destination=data["destination"],
                    lines=data["lines"],
                    actor=request.user,
                    reference=data["reference"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                admin_history_record(actor=request.user, obj=transfer, message=_("Requested."), flag=ADDITION)
                self.message_user(request, _("Transfer %(id)s requested.") % {"id": transfer.pk}, messages.SUCCESS)
                return redirect("admin:inventory_transfer_change", transfer.pk)
        return admin_form_page(request, self, title=_("Request a transfer"), form=form, submit_label=_("Request"))

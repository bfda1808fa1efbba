from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalog.forms import SkuLinesField
from catalog.models import Channel
from customers.models import Company, Customer
from inventory.admin import OwnStoresOnlyMixin, location_figure_register
from inventory.models import Location
from omnishop.admin import ReadOnlyAdmin, WideChangelistMixin, admin_form_page, service_action, short_time
from omnishop.exceptions import DomainError
from omnishop.vocabulary import CHECKOUT_FULFILMENT_CHOICES, CHECKOUT_PAYMENT_CHOICES

from . import lifecycle
from .exceptions import InvalidOrder, InvalidTransition, WrongPickupCode
from .models import Cart, CartLine, Fulfilment, FulfilmentLine, Order, OrderEvent, OrderFee, OrderLine, TillSale
from .selectors import sees_only_own_stores, store_load_today, store_order_condition
from .services import (
    Contact,
    OrderRequest,
    fulfilment_ship,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
    order_hand_over,
    order_payment_refund,
    order_picking_start,
    order_ready_for_pickup,
    order_request_build,
    order_request_place,
    order_transition,
    payment_refund_due,
)
from .services.carts import cart_delete


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        # Read-only parts of the page's object (lines, fulfilments, the timeline): whoever may
        # see the order (or cart) sees them, with no permission of their own per part.
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in ("view", "change")
        )


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "unit_price", "discount", "line_total"]


class FulfilmentInline(ReadOnlyInline):
    model = Fulfilment
    fields = ["location", "status", "transfer", "carrier", "tracking_number", "shipped_at"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "transfer")


class OrderFeeInline(ReadOnlyInline):
    """What a marketplace charged for the order it sold (none for other orders)."""

    model = OrderFee
    fields = ["kind", "amount", "currency"]


class OrderEventInline(ReadOnlyInline):
    """The order's timeline."""

    model = OrderEvent
    fields = ["created_at", "type", "from_status", "to_status", "actor", "channel", "note"]
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "channel")


def _transition_action(to: str, label, *, role: str = lifecycle.AGENT, permission: str = "change"):
    """Move the selected orders to ``to`` as ``role`` (the state machine decides per order),
    offered to users with the ModelAdmin's ``permission``."""
    return service_action(
        name=f"make_{to}",
        description=label,
        run=lambda order, request: order_transition(
            order=order, to=to, role=role, actor=request.user, note=str(_("in admin"))
        ),
        describe=lambda order: order.number,
        done_message=ngettext_lazy("%(n)d order updated.", "%(n)d orders updated.", "n"),
        permissions=[permission],
    )


def _refund_retry(order: Order, request) -> None:
    if not payment_refund_due(order):
        raise InvalidTransition(_("Nothing to refund: only a cancelled order whose payment is still paid is refunded."))
    order_payment_refund(order_id=order.pk, actor=request.user)


# For a refund the provider refused (a refund_failed event in the timeline); the task may still
# be retrying, and the order number as the provider's idempotency key keeps it to one refund.
refund_retry = service_action(
    name="payment_refund_retry",
    description=_("Retry refund"),
    run=_refund_retry,
    describe=lambda order: order.number,
    done_message=ngettext_lazy("%(n)d order refunded.", "%(n)d orders refunded.", "n"),
    permissions=["change"],  # those who may cancel orders
)


def _store_action(service, name: str, label):
    """A store step (``orders.services.pickup``) for the selected pickup orders of the user's stores."""
    return service_action(
        name=name,
        description=label,
        run=lambda order, request: service(order=order, actor=request.user),
        describe=lambda order: order.number,
        done_message=ngettext_lazy("%(n)d order updated.", "%(n)d orders updated.", "n"),
        permissions=["handle_pickup"],
    )


@admin.action(description=_("Hand over the selected order (asks for the pickup code)"), permissions=["handle_pickup"])
def hand_over(modeladmin, request, queryset):
    orders = list(queryset[:2])
    if len(orders) != 1:
        modeladmin.message_user(request, _("Select one order to hand over."), messages.WARNING)
        return None
    return redirect("admin:orders_order_hand_over", orders[0].pk)


class HandOverForm(forms.Form):
    code = forms.CharField(label=_("pickup code"), max_length=8, help_text=_("The code the customer shows."))


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "channel",
        "customer",
        "company",
        "fulfilment_type",
        "status",
        "pickup_expires_at",
        "payment_status",
        "total",
        "currency",
    ]
    list_filter = ["status", "channel", "fulfilment_type", "payment_status", "pickup_location", "created_at"]
    list_select_related = ["channel", "customer", "company"]
    search_fields = [
        "=number",
        "email",
        "phone",
        "contact_name",
        "customer__email",
        "customer__last_name",
        "lines__sku",
    ]
    date_hierarchy = "created_at"
    # Everything but the pickup code: it is the customer's proof at the hand-over.
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "pickup_code"]
    inlines = [OrderLineInline, FulfilmentInline, OrderFeeInline, OrderEventInline]
    actions = [
        # Customer service.
        _transition_action(Order.Status.CONFIRMED, _("Confirm selected orders")),
        _transition_action(Order.Status.CANCELLED, _("Cancel selected orders (releases stock)")),
        _transition_action(Order.Status.COMPLETED, _("Mark selected shipped orders as delivered")),
        refund_retry,
        # The warehouse.
        _transition_action(
            Order.Status.PROCESSING,
            _("Start processing selected orders (picking)"),
            role=lifecycle.WAREHOUSE,
            permission="ship",
        ),
        _transition_action(
            Order.Status.SHIPPED,
            _("Mark selected orders as shipped (stock leaves the warehouse)"),
            role=lifecycle.WAREHOUSE,
            permission="ship",
        ),
        # The store, for the pickup orders of its own staff's stores.
        _store_action(order_picking_start, "store_picking_start", _("Start picking selected pickup orders")),
        _store_action(
            order_ready_for_pickup, "store_ready_for_pickup", _("Mark selected pickup orders ready for pickup")
        ),
        hand_over,
    ]

    def has_ship_permission(self, request) -> bool:
        return request.user.has_perm("orders.ship_order")

    def has_handle_pickup_permission(self, request) -> bool:
        return request.user.has_perm("orders.handle_pickup")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_only_own_stores(request.user):
            return queryset.filter(store_order_condition(request.user))
        return queryset

    def has_add_permission(self, request):
        return False  # orders are placed through "Place an order", which runs the checkout service

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("place/", self.admin_site.admin_view(self.place_view), name="orders_order_place"),
            path("<int:pk>/hand-over/", self.admin_site.admin_view(self.hand_over_view), name="orders_order_hand_over"),
            *super().get_urls(),
        ]

    def hand_over_view(self, request, pk: int):
        """The store hands a pickup order over against the code the customer shows."""
        if not self.has_handle_pickup_permission(request):
            raise PermissionDenied
        order = self.get_queryset(request).filter(pk=pk).first()
        if order is None:
            raise Http404
        form = HandOverForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                order_hand_over(order=order, code=form.cleaned_data["code"], actor=request.user)
            except WrongPickupCode as exc:
                form.add_error("code", str(exc.detail))
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                self.message_user(request, _("Order %(number)s handed over.") % {"number": order.number})
                return redirect("admin:orders_order_changelist")
        return admin_form_page(
            request,
            self,
            title=_("Hand over order %(number)s") % {"number": order.number},
            form=form,
            submit_label=_("Hand over"),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "place_url": reverse("admin:orders_order_place")}
        return super().changelist_view(request, extra_context)

    def place_view(self, request):
        """Call centre / B2B: place an order for a customer or a company (same checkout service)."""
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        form = PlaceOrderForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                order = order_request_place(request=_place_form_request(data), actor=request.user)
            except InvalidOrder as exc:
                for field, errors in exc.errors.items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as exc:
                form.add_error(None, f"{exc.title} {exc.detail} {exc.errors or ''}".strip())
            else:
                self.message_user(request, _("Order %(number)s placed.") % {"number": order.number}, messages.SUCCESS)
                return redirect("admin:orders_order_change", order.pk)
        return admin_form_page(request, self, title=_("Place an order"), form=form, submit_label=_("Place the order"))


def _place_form_request(data: dict) -> OrderRequest:
    """The place-order form's cleaned data as an ``OrderRequest``; a broken rule is an
    ``InvalidOrder`` whose errors name the form's fields."""
    given = data["email"] or data["phone"]
    return order_request_build(
        channel=data["channel"],
        lines=data["lines"],
        fulfilment_type=data["fulfilment_type"],
        customer=data.get("customer"),
        company=data.get("company"),
        contact=Contact(email=data["email"], phone=data["phone"], name=data["contact_name"]) if given else None,
        pickup_location=data.get("pickup_store"),
        shipping_address={k: data[k] for k in ("street", "postal_code", "city") if data.get(k)},
        payment_method=data["payment_method"],
        field_names={"contact.phone": "phone", "pickup_location": "pickup_store"},
    )


class PlaceOrderForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("channel"),
        queryset=Channel.objects.filter(is_active=True, kind__in=[Channel.Kind.CALL_CENTRE, Channel.Kind.B2B]),
    )
    customer = forms.ModelChoiceField(label=_("customer"), queryset=Customer.objects.all(), required=False)
    company = forms.ModelChoiceField(label=_("company (B2B)"), queryset=Company.objects.all(), required=False)
    lines = SkuLinesField(label=_("lines"))
    fulfilment_type = forms.ChoiceField(label=_("fulfilment"), choices=CHECKOUT_FULFILMENT_CHOICES)
    pickup_store = forms.ModelChoiceField(
        label=_("pickup store"),
        queryset=Location.objects.filter(is_active=True, click_and_collect=True),
        required=False,
    )
    street = forms.CharField(label=_("street"), required=False)
    postal_code = forms.CharField(label=_("postal code"), required=False)
    city = forms.CharField(label=_("city"), required=False)
    email = forms.EmailField(label=_("contact e-mail"), required=False)
    phone = forms.CharField(label=_("contact phone"), required=False)
    contact_name = forms.CharField(label=_("contact name"), required=False)
    payment_method = forms.ChoiceField(
        label=_("payment"),
        choices=CHECKOUT_PAYMENT_CHOICES,
    )

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("company") and not data.get("email") and not data.get("phone"):
            raise ValidationError(_("Choose a customer or a company, or give a contact."))
        if data.get("fulfilment_type") == Order.FulfilmentType.DELIVERY:
            for name in ("street", "postal_code", "city"):
                if not data.get(name, "").strip():
                    self.add_error(name, self.fields[name].error_messages["required"])
        return data


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["variant", "quantity", "added_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant")


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["token", "customer", "channel", "status", "updated_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["customer", "channel"]
    search_fields = ["=token", "customer__email"]
    readonly_fields = [f.name for f in Cart._meta.fields]
    inlines = [CartLineInline]

    def has_add_permission(self, request):
        return False

    # Deleting a cart releases its stock holds: through the service, one cart at a time.
    def delete_model(self, request, obj):
        cart_delete(cart=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for cart in queryset.order_by("pk"):
            cart_delete(cart=cart, actor=request.user)


def _fulfilment_action(service, label, *, permission: str):
    return service_action(
        name=service.__name__,
        description=label,
        run=lambda fulfilment, request: service(fulfilment=fulfilment, actor=request.user),
        describe=lambda fulfilment: fulfilment.order.number,
        select_related=["order"],
        permissions=[permission],
    )


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=50, help_text=_("e.g. InPost, DPD, Poczta Polska"))
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


@admin.action(description=_("Ship the parcel with its tracking number…"), permissions=["ship"])
def ship_with_tracking(modeladmin, request, queryset):
    """Opens the parcel's shipping page: one parcel, one tracking number."""
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Pick one parcel: each has its own tracking number."), messages.WARNING)
        return None
    return redirect("admin:orders_fulfilment_ship", queryset.get().pk)


@admin.register(Fulfilment)
class FulfilmentAdmin(WideChangelistMixin, admin.ModelAdmin):
    list_display = ["order", "source", "status", "transfer", "carrier", "tracking_number", "shipped"]
    list_filter = ["status", "location"]
    list_select_related = ["order", "location", "transfer"]
    search_fields = ["order__number", "=tracking_number"]
    # A parcel's tracking is set when it is shipped (fulfilment_ship), which also tells the customer.
    readonly_fields = ["order", "location", "status", "transfer", "carrier", "tracking_number", "shipped_at"]
    actions = [
        _fulfilment_action(
            fulfilment_transfer_ship, _("Ship the transfer to the pickup store"), permission="ship_transfer"
        ),
        _fulfilment_action(
            fulfilment_transfer_receive, _("Receive the transfer in the pickup store"), permission="receive_transfer"
        ),
        ship_with_tracking,
    ]

    @admin.display(description=_("source location"), ordering="location__code")
    def source(self, fulfilment: Fulfilment) -> str:
        # The code: the full name leaves the carrier and tracking columns off a laptop screen.
        return fulfilment.location.code

    @admin.display(description=_("shipped"), ordering="shipped_at")
    def shipped(self, fulfilment: Fulfilment) -> str:
        return short_time(fulfilment.shipped_at)

    def get_urls(self):
        return [
            path("<int:pk>/ship/", self.admin_site.admin_view(self.ship_view), name="orders_fulfilment_ship"),
            *super().get_urls(),
        ]

    def has_ship_permission(self, request) -> bool:
        return request.user.has_perm("orders.ship_order")

    def ship_view(self, request, pk: int):
        """A parcel of a delivery leaves its location: carrier and tracking number, then the
        customer is told (fulfilment_ship)."""
        if not self.has_ship_permission(request):
            raise PermissionDenied
        fulfilment = self.get_queryset(request).filter(pk=pk).first()
        if fulfilment is None:
            raise Http404
        form = ShipForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                fulfilment_ship(fulfilment=fulfilment, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(
                    request,
                    _("Parcel of order %(number)s shipped; the customer was told its tracking number.")
                    % {"number": fulfilment.order.number},
                    messages.SUCCESS,
                )
                return redirect("admin:orders_fulfilment_changelist")
        return admin_form_page(
            request,
            self,
            title=_("Ship a parcel of order %(number)s from %(location)s")
            % {"number": fulfilment.order.number, "location": fulfilment.location.name},
            form=form,
            submit_label=_("Ship"),
        )

    def has_add_permission(self, request):
        return False

    # A click & collect order's transfer is sent by the warehouse (or whoever manages transfers)
    # and booked in by whoever manages transfers, or by the staff of the pickup store (who see
    # only their stores' fulfilments, see get_queryset).
    def has_ship_transfer_permission(self, request) -> bool:
        return request.user.has_perm("orders.ship_order") or request.user.has_perm("inventory.change_transfer")

    def has_receive_transfer_permission(self, request) -> bool:
        return request.user.has_perm("inventory.change_transfer") or request.user.has_perm("orders.handle_pickup")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_only_own_stores(request.user):
            # Their own parcels and transfers out, and what arrives for their pickup orders.
            own = Location.objects.filter(staff=request.user).values("pk")
            return queryset.filter(Q(location__in=own) | Q(order__pickup_location__in=own))
        return queryset


@admin.register(FulfilmentLine)
class FulfilmentLineAdmin(ReadOnlyAdmin):
    """What a fulfilment carries is written by checkout and routing; staff read it, never edit it."""

    list_display = ["fulfilment", "order_line", "quantity"]
    list_select_related = ["fulfilment", "order_line"]


@admin.register(TillSale)
class TillSaleAdmin(OwnStoresOnlyMixin, ReadOnlyAdmin):
    """The receipts stores' tills reported (``till_sale_record``), each with the order it became;
    store staff see their own stores' only."""

    list_display = ["receipt_number", "location", "sold_at", "order", "stock_corrections"]
    list_filter = ["location", "sold_at"]
    list_select_related = ["location", "order"]
    search_fields = ["receipt_number", "order__number"]
    date_hierarchy = "sold_at"


def location_pick_load(location: Location) -> str:
    """A store's orders to pick today against its daily pick capacity, for the location admin."""
    if location.kind != Location.Kind.STORE:
        return "—"
    load = store_load_today(location=location)
    if location.daily_pick_capacity is None:
        return ngettext_lazy("%(load)d order; no limit.", "%(load)d orders; no limit.", load) % {"load": load}
    return ngettext_lazy(
        "%(load)d of %(capacity)d order.", "%(load)d of %(capacity)d orders.", location.daily_pick_capacity
    ) % {"load": load, "capacity": location.daily_pick_capacity}


location_figure_register(label=_("Orders to pick today"), figure=location_pick_load)

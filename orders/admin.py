from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalog.models import Channel
from customers.selectors import customer_get
from inventory.admin import OwnStoresOnlyMixin, location_figure_register
from inventory.models import Location
from omnishop.admin import ReadOnlyAdmin, WideChangelistMixin, admin_form_page, service_action, short_time
from omnishop.exceptions import DomainError
from omnishop.exports import CsvExportMixin
from omnishop.money import money_display
from omnishop.notifications.models import Notification
from omnishop.notifications.services import notification_resend

from . import lifecycle
from .admin_pages import (
    CancelForm,
    PlaceOrderForm,
    order_actions,
    order_page_context,
    place_fingerprint,
    place_form_request,
    preview_context,
    product_search_results,
)
from .exceptions import InvalidOrder, InvalidTransition, WrongPickupCode
from .models import Cart, CartLine, Fulfilment, FulfilmentLine, Order, TillSale
from .resources import OrderExportResource
from .selectors import sees_only_own_stores, store_load_today, store_order_condition
from .services import (
    TillPayment,
    fulfilment_ship,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
    order_cancel,
    order_hand_over,
    order_payment_refund,
    order_picking_start,
    order_pickup_notice_resend,
    order_ready_for_pickup,
    order_request_place,
    order_request_preview,
    order_transition,
    order_try_on_visit,
    payment_refund_due,
)
from .services.carts import cart_delete

__all__ = ["PlaceOrderForm"]  # the place-order form, also read by the vocabulary tests


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
    till_method = forms.ChoiceField(
        label=_("paid at the till by"),
        required=False,
        choices=[("", "—"), ("cash", _("cash")), ("card", _("card"))],
        help_text=_("A pay-in-store order: how the till took the payment."),
    )
    receipt_number = forms.CharField(label=_("till receipt number"), max_length=50, required=False)


@admin.register(Order)
class OrderAdmin(CsvExportMixin, admin.ModelAdmin):
    resource_classes = [OrderExportResource]
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
        _store_action(
            order_pickup_notice_resend,
            "store_pickup_notice_resend",
            _("Send the ready-for-pickup notice again (same code)"),
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
            path(
                "place/products/",
                self.admin_site.admin_view(self.place_products_view),
                name="orders_order_place_products",
            ),
            path("<int:pk>/act/", self.admin_site.admin_view(self.order_act_view), name="orders_order_act"),
            path("<int:pk>/cancel/", self.admin_site.admin_view(self.order_cancel_view), name="orders_order_cancel"),
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
                data = form.cleaned_data
                till = TillPayment(method=data["till_method"], receipt_number=data["receipt_number"])
                if order.fulfilment_type == Order.FulfilmentType.ROPIS:
                    order_try_on_visit(order=order, code=data["code"], till=till, actor=request.user)
                else:
                    order_hand_over(order=order, code=data["code"], till=till, actor=request.user)
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

    # -- the order page: a summary, the timeline and the viewer's actions; nothing to edit ------
    change_form_template = "admin/orders/order/change_form.html"

    def has_change_permission(self, request, obj=None):
        # An order changes only through its steps (the page's buttons, the list's actions):
        # its page has no form to save. Without an order: may the user take those steps.
        return False if obj is not None else super().has_change_permission(request)

    def get_fields(self, request, obj=None):
        return []

    def get_inline_instances(self, request, obj=None):
        return []

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related("customer", "company", "pickup_location", "placed_by")
        try:
            return queryset.get(pk=int(object_id))
        except (Order.DoesNotExist, ValueError, TypeError):
            return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        if order is not None and self.has_view_permission(request, order):
            extra_context = {
                **(extra_context or {}),
                **order_page_context(order, user=request.user),
                "is_nav_sidebar_enabled": False,  # the summary's three columns on a laptop screen
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _order_for_action(self, request, pk: int) -> Order:
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        return order

    def order_act_view(self, request, pk: int):
        """The order page's buttons (POST): confirm, retry the refund, send a failed notice again."""
        if request.method != "POST":
            return redirect("admin:orders_order_change", pk)
        order = self._order_for_action(request, pk)
        failed = list(Notification.objects.filter(order_reference=order.number, status=Notification.Status.FAILED))
        action = request.POST.get("action", "")
        if action not in order_actions(order, user=request.user, failed_notifications=failed):
            raise PermissionDenied
        try:
            if action == "confirm":
                order_transition(
                    order=order,
                    to=Order.Status.CONFIRMED,
                    role=lifecycle.AGENT,
                    actor=request.user,
                    note=str(_("in admin")),
                )
                done = _("Order %(number)s confirmed.")
            elif action == "refund":
                order_payment_refund(order_id=order.pk, actor=request.user)
                done = _("The payment of order %(number)s was refunded.")
            else:
                notification = next((n for n in failed if str(n.pk) == request.POST.get("notification")), None)
                if notification is None:
                    raise Http404
                notification_resend(notification=notification, actor=request.user)
                done = _("The notification of order %(number)s will be sent again.")
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
        else:
            self.message_user(request, done % {"number": order.number}, messages.SUCCESS)
        return redirect("admin:orders_order_change", order.pk)

    def order_cancel_view(self, request, pk: int):
        """Cancel an order: the reason is required and the agent confirms on this page."""
        order = self._order_for_action(request, pk)
        if "cancel" not in order_actions(order, user=request.user, failed_notifications=[]):
            raise PermissionDenied
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                order_cancel(order=order, role=lifecycle.AGENT, actor=request.user, note=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                self.message_user(
                    request, _("Order %(number)s cancelled.") % {"number": order.number}, messages.SUCCESS
                )
                return redirect("admin:orders_order_change", order.pk)
        return admin_form_page(
            request,
            self,
            title=_("Cancel order %(number)s (%(total)s)?")
            % {"number": order.number, "total": money_display(order.total, order.currency)},
            form=form,
            submit_label=_("Cancel the order"),
            template="admin/orders/order/cancel.html",
            order=order,
        )

    # -- place an order: form → preview (writes nothing) → confirm ---------------------------
    def place_view(self, request):
        """Call centre / B2B: place an order for a customer or a company (the same checkout
        service), after a preview of its prices and routing."""
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        step = request.POST.get("step", "preview") if request.method == "POST" else ""
        if request.method == "POST":
            form = PlaceOrderForm(request.POST)
        else:
            initial = {}
            customer = (
                customer_get(pk=int(request.GET["customer"])) if request.GET.get("customer", "").isdigit() else None
            )
            if customer is not None:
                initial = {"customer": customer.pk, "email": "", "contact_name": ""}
            form = PlaceOrderForm(initial=initial)
        if step in ("preview", "confirm") and form.is_valid():
            try:
                order_request = place_form_request(form.cleaned_data)
                if step == "preview":
                    preview = order_request_preview(request=order_request)
                    return self._place_page(request, form, preview=preview_context(preview))
                order = order_request_place(
                    request=order_request,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    fingerprint=place_fingerprint(order_request, user=request.user),
                    actor=request.user,
                )
            except InvalidOrder as exc:
                for field, errors in exc.errors.items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as exc:
                # Loyalty's refusals (a coupon, a gift card, points) belong to their fields.
                renamed = {"gift_card": "gift_card_code", "store_credit": "use_store_credit"}
                errors = {renamed.get(key, key): errs for key, errs in (exc.errors or {}).items()}
                own = {key: errs for key, errs in errors.items() if key in form.fields}
                for field, errs in own.items():
                    form.add_error(field, list(map(str, errs)))
                rest = [f"{key}: {' '.join(map(str, errs))}" for key, errs in errors.items() if key not in own]
                details = "; ".join(rest)
                if details or not own:
                    form.add_error(None, f"{exc.detail} {details}".strip())
            else:
                if not order.replayed:
                    self.message_user(
                        request, _("Order %(number)s placed.") % {"number": order.number}, messages.SUCCESS
                    )
                return redirect("admin:orders_order_change", order.pk)
        return self._place_page(request, form)

    def _place_page(self, request, form, *, preview=None):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirm the order") if preview else _("Place an order"),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
            "preview": preview,
            "search_url": reverse("admin:orders_order_place_products"),
            "is_nav_sidebar_enabled": False,  # the whole form and preview on a laptop screen
            "main_fields": [
                "customer",
                "channel",
                "fulfilment_type",
                "pickup_store",
                "street",
                "postal_code",
                "city",
                "payment_method",
            ],
            "contact_fields": ["email", "phone", "contact_name", "company"],
            "reward_fields": ["coupon_code", "points", "gift_card_code", "use_store_credit"],
        }
        return TemplateResponse(request, "admin/orders/order/place.html", context)

    def place_products_view(self, request):
        """The place-order page's product search (JSON): SKU, EAN or name, with the price in the
        chosen channel and the units available per location."""
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        channel_id = request.GET.get("channel", "")
        channel = Channel.objects.filter(pk=int(channel_id), is_active=True).first() if channel_id.isdigit() else None
        results = product_search_results(text=request.GET.get("q", "")[:100], channel=channel)
        return JsonResponse({"results": results})


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

    list_display = ["fulfilment", "order_line", "quantity", "picked_quantity", "short_quantity", "cancelled_quantity"]
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

"""The agents' pages of the order admin: placing an order (form → preview → confirm) and the
order page's summary, timeline and actions. ``orders/admin.py`` wires them into OrderAdmin."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.forms import SkuLinesField
from catalog.models import Channel
from catalog.selectors import variant_search, variants_sellable_with_price
from customers.models import Company, Customer
from inventory.models import Location
from inventory.selectors import stock_availability_by_location
from omnishop.money import money_display
from omnishop.notifications.models import Notification
from omnishop.vocabulary import CHECKOUT_FULFILMENT_CHOICES, CHECKOUT_PAYMENT_CHOICES

from . import lifecycle
from .events import order_event_text
from .models import Order
from .routing import routing_explained
from .services import Contact, OrderPreview, OrderRequest, order_request_build, payment_refund_due, request_fingerprint


# -- place an order --------------------------------------------------------------------------
class PlaceOrderForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("customer"),
        queryset=Customer.objects.all(),
        required=False,
        widget=AutocompleteSelect(Order._meta.get_field("customer"), admin.site),
        help_text=gettext_lazy("Name, e-mail, phone in any format, loyalty card or order number."),
    )
    channel = forms.ModelChoiceField(
        label=gettext_lazy("channel"),
        queryset=Channel.objects.filter(is_active=True, kind__in=[Channel.Kind.CALL_CENTRE, Channel.Kind.B2B]),
    )
    lines = SkuLinesField(label=gettext_lazy("lines"))
    fulfilment_type = forms.ChoiceField(label=gettext_lazy("fulfilment"), choices=CHECKOUT_FULFILMENT_CHOICES)
    pickup_store = forms.ModelChoiceField(
        label=gettext_lazy("pickup store"),
        queryset=Location.objects.filter(is_active=True, click_and_collect=True).order_by("name"),
        required=False,
    )
    street = forms.CharField(label=gettext_lazy("street"), required=False)
    postal_code = forms.CharField(label=gettext_lazy("postal code"), required=False)
    city = forms.CharField(label=gettext_lazy("city"), required=False)
    payment_method = forms.ChoiceField(label=gettext_lazy("payment"), choices=CHECKOUT_PAYMENT_CHOICES)
    email = forms.EmailField(label=gettext_lazy("contact e-mail"), required=False)
    phone = forms.CharField(label=gettext_lazy("contact phone"), required=False)
    contact_name = forms.CharField(label=gettext_lazy("contact name"), required=False)
    company = forms.ModelChoiceField(
        label=gettext_lazy("company (B2B)"), queryset=Company.objects.all(), required=False
    )
    coupon_code = forms.CharField(label=gettext_lazy("coupon"), max_length=40, required=False)
    points = forms.IntegerField(
        label=gettext_lazy("points to pay with"),
        min_value=0,
        required=False,
        help_text=gettext_lazy("The customer's spendable points; fewer are used when the order takes fewer."),
    )
    gift_card_code = forms.CharField(label=gettext_lazy("gift card"), max_length=40, required=False)
    use_store_credit = forms.BooleanField(label=gettext_lazy("pay with store credit"), required=False)
    # One per form shown: a second submit of the same confirmation gets the first order back.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].widget.attrs.update(rows=4, cols=40)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            if "channel" not in self.initial:
                call_centre = [c for c in self.fields["channel"].queryset if c.kind == Channel.Kind.CALL_CENTRE]
                if call_centre:
                    self.initial["channel"] = call_centre[0].pk

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("company") and not data.get("email") and not data.get("phone"):
            raise ValidationError(_("Choose a customer or a company, or give a contact."))
        if data.get("fulfilment_type") == Order.FulfilmentType.DELIVERY:
            for name in ("street", "postal_code", "city"):
                if not data.get(name, "").strip():
                    self.add_error(name, self.fields[name].error_messages["required"])
        return data


def place_form_request(data: dict) -> OrderRequest:
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
        pickup_location=data.get("pickup_store") if data["fulfilment_type"] != Order.FulfilmentType.DELIVERY else None,
        shipping_address={k: data[k] for k in ("street", "postal_code", "city") if data.get(k)}
        if data["fulfilment_type"] == Order.FulfilmentType.DELIVERY
        else {},
        payment_method=data["payment_method"],
        coupon_code=data.get("coupon_code") or "",
        points=data.get("points") or 0,
        gift_card_code=data.get("gift_card_code") or "",
        store_credit=Decimal("0") if data.get("use_store_credit") else None,
        field_names={
            "contact.phone": "phone",
            "pickup_location": "pickup_store",
            "shipping_address": "street",
            "store_credit": "use_store_credit",
        },
    )


def place_fingerprint(request: OrderRequest, *, user) -> str:
    """What the agent confirmed, and who: the same confirmation sent twice is one order."""

    def pk(row):
        return getattr(row, "pk", None)

    contact = request.contact or Contact()
    return request_fingerprint(
        {
            "channel": pk(request.channel),
            "customer": pk(request.customer),
            "company": pk(request.company),
            "lines": sorted(request.lines.items()),
            "fulfilment_type": request.fulfilment_type,
            "pickup_location": pk(request.pickup_location),
            "shipping_address": request.shipping_address,
            "payment_method": request.payment_method,
            "contact": [contact.email, contact.phone, contact.name],
            "rewards": [request.coupon_code, request.points, request.gift_card_code, str(request.store_credit)],
        },
        caller=f"admin-user:{user.pk}",
    )


@dataclass(frozen=True)
class PreviewSource:
    name: str
    kind: str
    lines: list[tuple[str, str, int]]  # (sku, name, quantity)
    transfer_to: str  # the pickup store's name when the units travel there first


def preview_context(preview: OrderPreview) -> dict:
    """What the preview page shows: lines and totals formatted, sources with their lines, the
    routing explained and the pickup date."""
    priced, decision, request = preview.priced, preview.decision, preview.request
    currency = priced.currency
    by_variant = {line.variant_id: line for line in priced.lines}
    locations = decision.locations
    pickup = request.pickup_location
    sources: dict[int, list] = {}
    for routed in decision.lines:
        line = by_variant[routed.variant_id]
        sources.setdefault(routed.location_id, []).append((line.sku, line.name, routed.quantity))
    names = {loc.code: loc.name for loc in locations.values()}
    if pickup is not None:
        names[pickup.code] = pickup.name
    return {
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": money_display(line.unit_price, currency),
                "line_total": money_display(line.line_total, currency),
                "discount": money_display(line.discount, currency) if line.discount else "",
                "net_total": money_display(line.net_total, currency),
            }
            for line in priced.lines
        ],
        "promotions": [(p.name, p.code, money_display(p.amount, currency)) for p in priced.promotions],
        "points_redeemed": priced.points_redeemed,
        "points_discount": money_display(priced.points_discount, currency) if priced.points_redeemed else "",
        "points_to_earn": priced.points_to_earn if request.customer is not None else 0,
        "tenders": [(t.kind, t.code_last4, money_display(t.amount, currency)) for t in priced.tenders],
        "amount_due": money_display(priced.amount_due, currency),
        "subtotal": money_display(priced.subtotal, currency),
        "discount_total": money_display(priced.discount_total, currency) if priced.discount_total else "",
        "shipping_total": money_display(priced.shipping_total, currency),
        "total": money_display(priced.total, currency),
        "sources": [
            PreviewSource(
                name=locations[location_id].name if location_id in locations else str(location_id),
                kind=locations[location_id].get_kind_display() if location_id in locations else "",
                lines=lines,
                transfer_to=pickup.name if location_id in decision.transfers and pickup is not None else "",
            )
            for location_id, lines in sources.items()
        ],
        "transfer_count": len(decision.transfers),
        "routing_text": routing_explained(decision.reason, names=names),
        "pickup_from": preview.pickup_from,
        "pickup_day": (
            f"{date_format(preview.pickup_from, 'l').lower()}, {date_format(preview.pickup_from, 'j E Y')}"
            if preview.pickup_from
            else ""
        ),
        "contact": preview.contact,
    }


def product_search_results(*, text: str, channel: Channel | None, limit: int = 10) -> list[dict]:
    """The place-order page's product search: variants by SKU, EAN or name with their price in
    ``channel`` and what is available where (three queries whatever the number of results)."""
    if channel is None:
        return []
    ids = variant_search(text=text, limit=limit)
    sellable = variants_sellable_with_price(ids=ids, channel=channel)
    ids = [i for i in ids if i in sellable]
    stock = stock_availability_by_location(variant_ids=ids, online=channel.sells_online)
    results = []
    for variant_id in ids:
        variant = sellable[variant_id]
        label = " / ".join(p for p in (variant.size, variant.colour) if p)
        where = sorted(
            ((loc.name, loc.available[variant_id]) for loc in stock if loc.available.get(variant_id, 0) > 0),
            key=lambda row: (-row[1], row[0]),
        )
        results.append(
            {
                "sku": variant.sku,
                "name": f"{variant.product_name} {label}".strip(),
                "price": money_display(variant.price, channel.currency) if variant.price is not None else _("no price"),
                "available": sum(units for _name, units in where),
                "locations": [{"name": name, "units": units} for name, units in where[:6]],
            }
        )
    return results


# -- the order page --------------------------------------------------------------------------
class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text=gettext_lazy("Recorded in the order's timeline."),
    )


def order_actions(order: Order, *, user, failed_notifications: list) -> list[str]:
    """What the viewer may do to ``order`` now, as an agent: confirm, cancel, retry a refund,
    send a failed notification again."""
    actions = []
    if user.has_perm("orders.change_order"):
        targets = lifecycle.allowed_targets(order.status, lifecycle.AGENT, order.fulfilment_type)
        if Order.Status.CONFIRMED in targets:
            actions.append("confirm")
        if Order.Status.CANCELLED in targets:
            actions.append("cancel")
        if payment_refund_due(order):
            actions.append("refund")
    if failed_notifications and user.has_perm("notifications.resend_notification"):
        actions.append("resend")
    return actions


def _loyalty_context(order: Order) -> dict:
    """What loyalty gave and took on the order, from its receipt-level explanation (no query)."""
    currency, pricing = order.currency, order.pricing or {}
    prepaid = order.gift_card_total or order.store_credit_total
    return {
        "promotions": [
            (p.get("name", ""), p.get("code", ""), money_display(Decimal(p.get("amount", "0")), currency))
            for p in pricing.get("promotions", [])
        ],
        "points_discount": money_display(Decimal(pricing.get("points_discount", "0")), currency),
        "earning": [(e.get("name", ""), e.get("points", 0)) for e in pricing.get("earning", [])],
        "gift_card_total": money_display(order.gift_card_total, currency) if order.gift_card_total else "",
        "store_credit_total": money_display(order.store_credit_total, currency) if order.store_credit_total else "",
        "amount_due": money_display(order.amount_due, currency) if prepaid else "",
    }


def order_page_context(order: Order, *, user) -> dict:
    """The order page's summary, in a fixed number of queries: the order with its customer,
    channel and pickup store (read with it), lines, fulfilments with their locations and lines,
    the timeline with its actors, and the order's failed notifications."""
    currency = order.currency
    lines = list(order.lines.order_by("id"))
    fulfilments = list(
        order.fulfilments.select_related("location", "transfer").prefetch_related("lines__order_line").order_by("id")
    )
    events = list(order.events.select_related("actor", "channel").order_by("created_at", "id"))
    refunds = list(order.refunds.order_by("created_at", "id"))
    failed = list(
        Notification.objects.filter(order_reference=order.number, status=Notification.Status.FAILED).order_by("pk")
    )
    names = {f.location.code: f.location.name for f in fulfilments}
    if order.pickup_location is not None:
        names[order.pickup_location.code] = order.pickup_location.name
    statuses = dict(Order.Status.choices)
    address = order.shipping_address or {}
    method = dict(CHECKOUT_PAYMENT_CHOICES).get(order.payment_method, order.payment_method)
    status = str(order.get_payment_status_display())
    return {
        "order": order,
        "amounts": {
            "subtotal": money_display(order.subtotal, currency),
            "discount_total": money_display(order.discount_total, currency) if order.discount_total else "",
            "shipping_total": money_display(order.shipping_total, currency),
            "total": money_display(order.total, currency),
        },
        "fees": [
            (fee.get_kind_display(), money_display(fee.amount, fee.currency)) for fee in order.fees.order_by("id")
        ],
        "loyalty": _loyalty_context(order),
        "address": ", ".join(str(address[k]) for k in ("street", "postal_code", "city") if address.get(k)),
        "payment_method": method,
        # Said once when the status repeats the method ("pay in store").
        "payment_status": status if status.lower() != str(method).lower() else "",
        "order_lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "refused": line.quantity_refused,
                "unit_price": money_display(line.unit_price, currency),
                "line_total": money_display(line.line_total, currency),
                "discount": money_display(line.discount, currency) if line.discount else "",
            }
            for line in lines
        ],
        # Parts of the payment given back: lines refused at the hand-over, units cancelled at picking.
        "refunds": [
            {
                "at": refund.created_at,
                "amount": money_display(refund.amount, refund.currency),
                "reason": refund.reason,
                "status": refund.get_status_display(),
            }
            for refund in refunds
        ],
        "fulfilments": [
            {
                "location": f.location.name,
                "kind": f.location.get_kind_display(),
                "status": f.get_status_display(),
                "transfer": f.transfer is not None,
                "carrier": f.carrier,
                "tracking_number": f.tracking_number,
                "lines": [(fl.order_line.sku, fl.order_line.name, fl.quantity) for fl in f.lines.all()],
            }
            for f in fulfilments
        ],
        "routing_text": routing_explained(order.routing, names=names),
        "timeline": [
            {
                "at": event.created_at,
                "what": event.get_type_display(),
                "change": (
                    f"{statuses.get(event.from_status, event.from_status)} → {statuses.get(event.to_status)}"
                    if event.from_status and event.to_status
                    else statuses.get(event.to_status, "")
                ),
                "who": event.actor.get_full_name() or event.actor.email if event.actor else "",
                "channel": event.channel.name if event.channel else "",
                "note": order_event_text(event),
            }
            for event in events
        ],
        "failed_notifications": failed,
        "order_actions": order_actions(order, user=user, failed_notifications=failed),
    }

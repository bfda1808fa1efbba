"""Orders' sections of the customer's 360° card (registered in ``OrdersConfig.ready``): the
KPIs, every order from every channel with the timeline of the selected one, and what the
customer was sent with a resend button. Each reads through ``orders.selectors`` in a fixed
number of queries, however many orders the customer has."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.card import CardAction, CardSection, card_section_register
from omnishop.notifications.models import Notification
from omnishop.notifications.registry import template_label
from omnishop.notifications.services import notification_resend

from .events import OrderEventType
from .models import Order
from .selectors import (
    notification_list_for_customer,
    order_get_for_card,
    order_kpis_for_customer,
    order_list_for_card,
    order_timeline,
)

ORDERS_PER_PAGE = 20
NOTIFICATIONS_SHOWN = 10
STATUS_LABELS = dict(Order.Status.choices)


def _where(order: Order) -> str:
    """The store of the order (its pickup store), else where its goods come from."""
    if order.pickup_location_id:
        return order.pickup_location.name
    return ", ".join(dict.fromkeys(f.location.name for f in order.fulfilment_list)) or "—"


def _event_text(event) -> str:
    """A timeline entry as people read it: "Status changed: Placed → Confirmed"."""
    text = str(OrderEventType(event.type).label) if event.type in OrderEventType.values else event.type
    if event.type == OrderEventType.STATUS_CHANGED and event.to_status:
        text += f": {STATUS_LABELS.get(event.from_status, event.from_status or '—')} → "
        text += str(STATUS_LABELS.get(event.to_status, event.to_status))
    return text


def _kpis(customer, request: HttpRequest) -> dict:
    return {"kpis": order_kpis_for_customer(customer=customer)}


def _orders(customer, request: HttpRequest) -> dict:
    paginator = Paginator(order_list_for_card(customer=customer), ORDERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("orders_page"))
    orders = list(page.object_list)
    for order in orders:
        order.where = _where(order)
    number = request.GET.get("order", "").strip()
    selected = next((o for o in orders if o.number == number), None) if number else (orders[0] if orders else None)
    if selected is None and number:
        selected = order_get_for_card(customer=customer, number=number)
    timeline = []
    if selected is not None:
        timeline = [{"event": e, "text": _event_text(e)} for e in order_timeline(order=selected)]
    return {
        "orders": orders,
        "page": page,
        "selected": selected,
        "timeline": timeline,
        "order_count": paginator.count,
        "not_found": number if number and selected is None else "",
    }


def _notifications(customer, request: HttpRequest) -> dict:
    rows, total = notification_list_for_customer(customer=customer, limit=NOTIFICATIONS_SHOWN)
    for notification in rows:
        notification.label = template_label(notification.template)
    return {"notifications": rows, "notifications_total": total, "failed": Notification.Status.FAILED}


def _notification_resend(customer, request: HttpRequest) -> str:
    notification = Notification.objects.filter(customer=customer, pk=request.POST.get("notification") or 0).first()
    if notification is None:
        raise ValidationError(_("That notification is not this customer's."))
    notification_resend(notification=notification, actor=request.user)
    return _("The notification is being sent again.")


def card_sections_register() -> None:
    card_section_register(
        CardSection(
            name="kpis",
            title=gettext_lazy("Purchases"),
            order=20,
            column=2,
            context=_kpis,
            template="admin/orders/card/kpis.html",
            permission="orders.view_order",
        )
    )
    card_section_register(
        CardSection(
            name="orders",
            title=gettext_lazy("Orders"),
            order=40,
            context=_orders,
            template="admin/orders/card/orders.html",
            wide=True,
            permission="orders.view_order",
        )
    )
    card_section_register(
        CardSection(
            name="notifications",
            title=gettext_lazy("Notifications sent"),
            order=60,
            context=_notifications,
            template="admin/orders/card/notifications.html",
            wide=True,
            permission="notifications.view_notification",
            actions=(
                CardAction(
                    "resend",
                    gettext_lazy("Send again"),
                    _notification_resend,
                    permission="notifications.resend_notification",
                ),
            ),
        )
    )

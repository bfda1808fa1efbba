"""The console's picking pages: one order, or a batch of several orders on one pick list grouped by
SKU; a line is picked by tapping it or by scanning its EAN into the scan field (a USB/Bluetooth
scanner types the code and Enter), and a short pick records its reason. Every action is a POST
that calls the picking services and comes back to the page it was sent from."""

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from omnishop.exceptions import DomainError

from ..models import Fulfilment, FulfilmentLine, Order
from ..selectors import pick_list
from ..services import SHORT_REASONS, fulfilment_line_pick, fulfilment_line_short, fulfilment_pick_scan
from .access import order_for_store_or_404, store_staff_required

BATCH_MAX = 30  # orders on one pick list


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(target)
    return redirect(default)


def _orders_to_pick(store):
    """The store's orders with something to pick here (pending fulfilments, confirmed or in processing)."""
    here = Fulfilment.objects.filter(order=OuterRef("pk"), location=store, status=Fulfilment.Status.PENDING)
    return (
        Order.objects.filter(Exists(here), status__in=[Order.Status.CONFIRMED, Order.Status.PROCESSING])
        .only("pk", "number", "status", "fulfilment_type", "contact_name", "created_at")
        .order_by("created_at", "pk")
    )


def _page(request, *, orders: list[Order], title: str, order=None):
    groups = pick_list(location=request.store, orders=[o.pk for o in orders])
    for group in groups:
        for item in group.items:
            item.short_choices = range(1, item.to_pick + 1)
    return render(
        request,
        "store/picking.html",
        {
            "title": title,
            "order": order,
            "orders": orders,
            "groups": groups,
            "left": sum(g.to_pick for g in groups),
            "reasons": [("missing", _("Missing")), ("damaged", _("Damaged"))],
            "next": request.get_full_path(),
        },
    )


@store_staff_required
def order_pick(request, number: str):
    """Pick one order."""
    order = order_for_store_or_404(request, number, detail=False)
    return _page(request, orders=[order], order=order, title=_("Picking order %(number)s") % {"number": order.number})


@store_staff_required
def batch_pick(request):
    """Choose orders (GET ``orders``: their numbers), then pick them on one list grouped by SKU."""
    candidates = _orders_to_pick(request.store)
    numbers = request.GET.getlist("orders")[:BATCH_MAX]
    if not numbers:
        return render(request, "store/picking_choose.html", {"candidates": list(candidates[:100])})
    orders = list(candidates.filter(number__in=numbers))
    return _page(request, orders=orders, title=_("Batch picking: %(n)d orders") % {"n": len(orders)})


def _line_here(request, pk: int) -> FulfilmentLine:
    return get_object_or_404(
        FulfilmentLine.objects.select_related("order_line"), pk=pk, fulfilment__location=request.store
    )


def _quantity(request, default: int = 1) -> int:
    try:
        return int(request.POST.get("quantity") or default)
    except ValueError:
        return 0


@require_POST
@store_staff_required
def line_pick(request, pk: int):
    line = _line_here(request, pk)
    try:
        fulfilment_line_pick(line=line, quantity=_quantity(request), actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Picked: %(name)s.") % {"name": line.order_line.name})
    return _back(request, reverse("store:picking-batch"))


@require_POST
@store_staff_required
def line_short(request, pk: int):
    line = _line_here(request, pk)
    reason = request.POST.get("reason", "")
    try:
        outcome = fulfilment_line_short(
            line=line, quantity=_quantity(request), reason=reason if reason in SHORT_REASONS else "", actor=request.user
        )
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        parts = [
            _("%(quantity)d from %(source)s") % {"quantity": quantity, "source": source}
            for source, quantity, _transfer in outcome.rerouted
        ]
        if parts:
            messages.success(
                request, _("Short pick recorded; the units come instead: %(parts)s.") % {"parts": ", ".join(parts)}
            )
        if outcome.cancelled:
            messages.warning(
                request,
                _("No location has %(n)d unit(s): cancelled, the customer was told.") % {"n": outcome.cancelled},
            )
    return _back(request, reverse("store:picking-batch"))


@require_POST
@store_staff_required
def scan(request):
    """An EAN typed by the scanner: one unit of the first line of the page's orders that has it."""
    ean = "".join(request.POST.get("ean", "").split())
    orders = [int(pk) for pk in request.POST.getlist("orders") if pk.isdigit()][:BATCH_MAX]
    groups = pick_list(location=request.store, orders=orders) if ean and orders else []
    items = [item for group in groups if group.ean == ean for item in group.items]
    if not items:
        messages.error(request, _("The EAN %(ean)s is not on this pick list.") % {"ean": ean[:20] or "—"})
        return _back(request, reverse("store:picking-batch"))
    item = next((i for i in items if i.to_pick > 0), items[0])
    try:
        line = fulfilment_pick_scan(fulfilment=Fulfilment(pk=item.fulfilment_id), ean=ean, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(
            request,
            _("Picked: %(name)s (%(picked)d of %(quantity)d).")
            % {"name": line.order_line.name, "picked": line.picked_quantity, "quantity": line.quantity},
        )
    return _back(request, reverse("store:picking-batch"))

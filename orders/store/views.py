"""The store console's pages: login, store choice, the queue and the order page. Every page and
action runs in the store chosen in the session (``access``); actions are POSTs that call the
order services and redirect back, their refusals shown as messages."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from omnishop.exceptions import DomainError

from .. import services
from ..models import Fulfilment, Order
from ..selectors import store_load_today
from ..store_selectors import SHIP_FROM_STORE, QueueGroup, order_amount_to_collect, store_queue
from .access import (
    _guard,
    fulfilment_for_store_or_404,
    is_store_staff,
    order_for_store_or_404,
    store_choose,
    store_staff_required,
    stores_of,
)
from .forms import QueueSearchForm, ShipForm, StoreChooseForm, StoreLoginForm

GROUP_PREVIEW = 15  # items per group on the queue (a tablet screen shows fewer); the rest behind "show all"
GROUP_PAGE = 50  # items per page of one group
CARRIERS = ["InPost", "DPD", "DHL", "Poczta Polska", "GLS", "UPS", "FedEx", "Orlen Paczka"]


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


class StoreLoginView(auth_views.LoginView):
    template_name = "store/login.html"
    authentication_form = StoreLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("store:queue")


class StoreLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("store:login")


def store_choose_view(request):
    """Pick the store to work in (staff of several stores); kept in the session."""
    if not (request.user.is_authenticated and is_store_staff(request.user)):
        return _guard(request)
    request.stores, request.store = list(stores_of(request.user)), None
    if not request.stores:
        return _guard(request)
    if request.method == "POST":
        form = StoreChooseForm(request.POST)
        chosen = next((s for s in request.stores if form.is_valid() and s.pk == form.cleaned_data["store"]), None)
        if chosen is None:
            messages.error(request, _("Choose one of the stores you work at."))
        else:
            store_choose(request, chosen)
            return redirect(_next_url(request, reverse("store:queue")))
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "store/choose.html", {"next": _next_url(request, "")})


# --- the queue -----------------------------------------------------------------------------


@store_staff_required
def queue(request):
    """What the store must do now, grouped and counted; ``?q=`` searches, ``?group=`` shows one
    group whole (paged), ``?fragment=1`` (the page's refresh) renders the groups only."""
    form = QueueSearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    data = store_queue(store=request.store, search=search)
    only = request.GET.get("group")
    if only is not None and only not in QueueGroup.__members__.values():
        only = None
    shown = []
    for group in data.groups:
        if only and group.key != only:
            continue
        if only:
            page = Paginator(group.items, GROUP_PAGE).get_page(request.GET.get("page"))
            shown.append({"group": group, "items": page.object_list, "page": page})
        else:
            shown.append({"group": group, "items": group.items[:GROUP_PREVIEW], "more": group.count > GROUP_PREVIEW})
    order_url = reverse("store:order", args=["-"])[:-2]  # one reverse, not one per item
    capacity = request.store.daily_pick_capacity
    load = store_load_today(location=request.store)  # today's orders to pick against the store's daily limit
    context = {
        "queue": data,
        "shown": shown,
        "form": form,
        "search": search,
        "only": only,
        "order_url": order_url,
        "load": {"today": load, "capacity": capacity, "full": capacity is not None and load >= capacity},
    }
    if request.GET.get("fragment"):
        return render(request, "store/_queue_groups.html", context)
    return render(request, "store/queue.html", context)


# --- the order page and its actions ---------------------------------------------------------


def _order_actions(request, order: Order) -> dict:
    """What the current store can do now on ``order`` (buttons of the order page)."""
    store = request.store
    here = order.pickup_location_id == store.pk
    parcels = [f for f in order.fulfilment_list if f.location_id == store.pk]
    delivery = order.fulfilment_type == Order.FulfilmentType.DELIVERY
    return {
        "pick": here and order.status == Order.Status.CONFIRMED,
        "ready": here and order.status == Order.Status.PROCESSING,
        "resend": here and order.status == Order.Status.READY_FOR_PICKUP and _resend_service() is not None,
        "receive": [
            f
            for f in order.fulfilment_list
            if f.transfer is not None
            and f.transfer.destination_id == store.pk
            and f.transfer.status == f.transfer.Status.IN_TRANSIT
            and f.status != Fulfilment.Status.DONE
        ],
        "pick_parcels": [
            f for f in parcels if delivery and order.status == Order.Status.CONFIRMED and f.status == "pending"
        ],
        "ship": [f for f in parcels if delivery and order.status == Order.Status.PROCESSING and f.status == "pending"],
    }


@store_staff_required
def order_detail(request, number: str):
    """The order for staff: customer, lines, status, pickup-by date, amount to collect, timeline,
    and the buttons for what the store can do now."""
    order = order_for_store_or_404(request, number)
    actions = _order_actions(request, order)
    return render(
        request,
        "store/order.html",
        {
            "order": order,
            "actions": actions,
            "amount_to_collect": order_amount_to_collect(order),
            "kind": SHIP_FROM_STORE
            if order.fulfilment_type == Order.FulfilmentType.DELIVERY
            else order.fulfilment_type,
            "ship_form": ShipForm(),
            "carriers": CARRIERS,
            "any_action": any(actions.values()),
            "overdue": order.pickup_expires_at is not None and order.pickup_expires_at < timezone.now(),
        },
    )


def _run(request, order_number: str, done: str, call) -> object:
    """Call a service; its refusal becomes an error message. Back to the order page either way."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, done)
    return redirect("store:order", order_number)


@require_POST
@store_staff_required
def order_picking_start(request, number: str):
    order = order_for_store_or_404(request, number, detail=False)
    done = _("Picking of order %(number)s started.") % {"number": order.number}
    return _run(request, order.number, done, lambda: services.order_picking_start(order=order, actor=request.user))


@require_POST
@store_staff_required
def order_ready(request, number: str):
    order = order_for_store_or_404(request, number, detail=False)
    done = _("Order %(number)s is ready for pickup; the customer was sent the pickup code.") % {"number": order.number}
    return _run(request, order.number, done, lambda: services.order_ready_for_pickup(order=order, actor=request.user))


def _resend_service():
    # h/pick: order_pickup_notice_resend(*, order, actor) re-sends the "ready for pickup" notice.
    # The button appears once that service exists in orders.services.
    return getattr(services, "order_pickup_notice_resend", None)


@require_POST
@store_staff_required
def order_notice_resend(request, number: str):
    order = order_for_store_or_404(request, number, detail=False)
    resend = _resend_service()
    if resend is None:
        raise Http404
    done = _("The pickup notice of order %(number)s was sent again.") % {"number": order.number}
    return _run(request, order.number, done, lambda: resend(order=order, actor=request.user))


def _parcel_here(request, pk: int) -> Fulfilment:
    fulfilment = fulfilment_for_store_or_404(request, pk)
    if fulfilment.location_id != request.store.pk:
        raise Http404  # another store's parcel (or goods it sends here)
    return fulfilment


@require_POST
@store_staff_required
def fulfilment_picking_start(request, pk: int):
    fulfilment = _parcel_here(request, pk)
    number = fulfilment.order.number
    done = _("Picking of order %(number)s started.") % {"number": number}
    return _run(
        request, number, done, lambda: services.fulfilment_picking_start(fulfilment=fulfilment, actor=request.user)
    )


@require_POST
@store_staff_required
def fulfilment_receive(request, pk: int):
    """Book in the transfer arriving for a pickup order of this store."""
    fulfilment = fulfilment_for_store_or_404(request, pk)
    if fulfilment.transfer is None or fulfilment.transfer.destination_id != request.store.pk:
        raise Http404
    number = fulfilment.order.number
    done = _("Transfer for order %(number)s booked in.") % {"number": number}
    return _run(
        request, number, done, lambda: services.fulfilment_transfer_receive(fulfilment=fulfilment, actor=request.user)
    )


@require_POST
@store_staff_required
def fulfilment_ship(request, pk: int):
    """A packed parcel leaves with its carrier and tracking number; the customer is told."""
    fulfilment = _parcel_here(request, pk)
    number = fulfilment.order.number
    form = ShipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the carrier and the tracking number of the parcel."))
        return redirect("store:order", number)
    done = _("Parcel of order %(number)s shipped; the customer was told its tracking number.") % {"number": number}
    return _run(
        request,
        number,
        done,
        lambda: services.fulfilment_ship(fulfilment=fulfilment, actor=request.user, **form.cleaned_data),
    )

"""The counter in the store console: find the order (a scanner types the QR's pickup code into
the code field, or staff give number + surname + phone digits), then the hand-over screen (the
customer, every line with its refuse control, the amount to collect, the till's confirmation for
pay-in-store, who collects) or, for reserve & try, the visit screen (kept / not kept per line).

The proof that found the order (the code, or the customer check) is kept in the session for that
order only, so the code never appears in an address; without it the screen asks for the code."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from omnishop.exceptions import DomainError

from ..exceptions import PickupNotFound
from ..models import Order
from ..services import TillPayment, handover_plan, order_hand_over, order_try_on_visit, pickup_order_find
from ..services.counter import handover_ready_check
from .access import order_for_store_or_404, store_staff_required

PROOF_KEY = "store_handover_proof"


def _proof_keep(request, order: Order, proof: dict) -> None:
    request.session[PROOF_KEY] = {"number": order.number, **proof}


def _proof(request, order: Order) -> dict:
    proof = request.session.get(PROOF_KEY) or {}
    return proof if proof.get("number") == order.number else {}


@require_http_methods(["GET", "POST"])
@store_staff_required
def handover_search(request):
    """Find the order waiting in this store: by code (the scanner's Enter submits it) or by
    number + surname + the phone's last digits."""
    values = {"number": "", "surname": "", "phone_digits": ""}
    status = 200
    if request.method == "POST":
        by_code = "code" in request.POST
        values = {k: request.POST.get(k, "").strip()[:40] for k in values}
        proof = (
            {"code": request.POST.get("code", "").strip()[:20]}
            if by_code
            else {
                "surname": values["surname"],
                "phone_digits": values["phone_digits"],
            }
        )
        try:
            order = pickup_order_find(actor=request.user, number="" if by_code else values["number"], **proof)
            if order.pickup_location_id != request.store.pk:
                raise PickupNotFound(_("This order is collected in another store."))
        except DomainError as exc:
            messages.error(request, str(exc.detail))
            status = exc.status_code
        else:
            _proof_keep(request, order, proof)
            return redirect("store:handover-order", order.number)
    return render(request, "store/handover_search.html", {"values": values}, status=status)


def _order_here(request, number: str) -> Order:
    order = order_for_store_or_404(request, number)
    if order.pickup_location_id != request.store.pk:
        raise Http404  # another store's pickup (this store only ships part of it)
    return order


def _refused(request, order: Order) -> dict[int, int]:
    refused = {}
    for line in order.line_list:
        raw = request.POST.get(f"refused_{line.pk}", "0").strip() or "0"
        refused[line.pk] = int(raw) if raw.isdigit() else -1  # the service names a bad value
    return {pk: units for pk, units in refused.items() if units}


def _till(request) -> TillPayment | None:
    method, receipt = request.POST.get("till_method", ""), request.POST.get("receipt_number", "")
    return TillPayment(method=method, receipt_number=receipt) if (method or receipt) else None


@require_http_methods(["GET", "POST"])
@store_staff_required
def handover_order(request, number: str):
    """The hand-over screen of a click & collect order (a reservation goes to its visit screen)."""
    order = _order_here(request, number)
    visit = order.fulfilment_type == Order.FulfilmentType.ROPIS
    proof = _proof(request, order)
    refused, status, errors = {}, 200, {}
    if request.method == "POST":
        refused = _refused(request, order) if not visit else {}
        not_kept = [line.pk for line in order.line_list if request.POST.get(f"kept_{line.pk}") == "0"]
        code = request.POST.get("code", "").strip() or proof.get("code", "")
        check = {} if code else {k: proof.get(k, "") for k in ("surname", "phone_digits")}
        try:
            if visit:
                order_try_on_visit(
                    order=order, actor=request.user, not_kept=not_kept, code=code, till=_till(request), **check
                )
            else:
                order_hand_over(
                    order=order,
                    actor=request.user,
                    code=code,
                    refused=refused,
                    collector_name=request.POST.get("collector_name", ""),
                    till=_till(request),
                    **check,
                )
        except DomainError as exc:
            messages.error(request, str(exc.detail))
            status, errors = exc.status_code, exc.errors
            order = _order_here(request, number)  # a wrong code may have replaced it
        else:
            request.session.pop(PROOF_KEY, None)
            done = Order.objects.only("status").get(pk=order.pk)
            if done.status == Order.Status.CANCELLED:
                messages.warning(request, _("Nothing was taken: order %(number)s is cancelled.") % {"number": number})
            else:
                messages.success(request, _("Order %(number)s handed over.") % {"number": number})
            return redirect("store:order", number)
    else:
        try:
            handover_ready_check(order)
        except DomainError as exc:
            messages.error(request, str(exc.detail))
            return redirect("store:order", number)
    if visit and request.method == "POST":
        refused = {line.pk: line.quantity for line in order.line_list if line.pk in not_kept}
    shown = refused if all(units >= 0 for units in refused.values()) else {}
    plan = handover_plan(order=order, actor=request.user, refused=shown)
    return render(
        request,
        "store/handover_visit.html" if visit else "store/handover.html",
        {
            "order": order,
            "plan": plan,
            "proof": proof,
            "post": request.POST if request.method == "POST" else {},
            "errors": errors,
            "search_url": reverse("store:handover"),
        },
        status=status,
    )

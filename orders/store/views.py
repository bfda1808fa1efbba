"""The store console's pages: login, store choice, the queue and the order page. Every page and
action runs in the store chosen in the session (``access``); actions are POSTs that call the
order services and redirect, their refusals shown as messages."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .access import (
    _guard,
    is_store_staff,
    order_for_store_or_404,
    store_choose,
    store_staff_required,
    stores_of,
)
from .forms import StoreChooseForm, StoreLoginForm


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
    if request.user.is_authenticated and is_store_staff(request.user):
        request.stores = list(stores_of(request.user))
        request.store = None
    else:
        return _guard(request)
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


@store_staff_required
def queue(request):
    """What the store must do now."""
    return render(request, "store/queue.html", {})


@store_staff_required
def order_detail(request, number: str):
    order = order_for_store_or_404(request, number)
    return render(request, "store/order.html", {"order": order})

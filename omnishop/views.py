"""The site root (where "View site" in the admin leads) and the 403 page, both in the admin's frame."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

STORE_CONSOLE_URL = "/store/"


def home(request):
    """Where each kind of user goes from here: the back-office, the store console, the API docs."""
    context = {
        **admin.site.each_context(request),
        "title": _("Welcome to omnishop"),
        "store_console_url": STORE_CONSOLE_URL,
        "is_nav_sidebar_enabled": False,  # a start page: the links below, not the app list
    }
    return TemplateResponse(request, "home.html", context)


def permission_denied(request, exception=None):
    """A refused page keeps the admin's header, breadcrumbs and user links, with a way back."""
    context = {
        **admin.site.each_context(request),
        "title": _("You cannot open this page"),
        "store_console_url": STORE_CONSOLE_URL,
    }
    response = TemplateResponse(request, "403.html", context, status=403)
    return response.render()

"""Who may call the store app's customer lookup: staff who work at a store."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from inventory.selectors import location_ids_of_staff
from omnishop.accounts.roles import STORE_STAFF


class IsStoreStaff(permissions.BasePermission):
    """A signed-in, active staff member in the store staff role who works at one store or more."""

    message = _("Only store staff may look customers up.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return user.groups.filter(name=STORE_STAFF).exists() and bool(location_ids_of_staff(user=user))

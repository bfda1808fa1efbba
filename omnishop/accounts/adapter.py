"""allauth's account adapter: one login policy for the web, app (headless) and admin doors."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from omnishop.client_address import client_address

from .services import login_failure_record


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth prefixes the request's host: one counter per account whatever Host a client sends.
        return str(credentials.get("email") or credentials.get("username") or "").strip().lower()

    def authentication_failed(self, request, **credentials) -> None:
        login_failure_record(
            login=self._get_login_attempts_cache_key(request, **credentials), address=client_address(request)
        )

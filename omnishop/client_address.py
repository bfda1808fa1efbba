"""The client's address as the trusted reverse proxies saw it (login limits, throttles)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """``X-Forwarded-For`` read from the right: each of the ``OMNISHOP_TRUSTED_PROXY_COUNT``
    proxies appended the address it was connected from, so the client is that many entries
    from the right; entries further left are the client's own claim and are ignored. With no
    trusted proxy (or a malformed header) the socket's address."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    count = settings.OMNISHOP_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer entries than proxies: the request skipped an outer proxy; the leftmost entry is still
    # one a trusted proxy wrote.
    return _valid(hops[-count] if len(hops) >= count else hops[0]) or remote

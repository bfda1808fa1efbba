"""One exception handler for the whole API: every 4xx carries the same body.

    {"type": "validation_error", "title": "...", "detail": "...", "errors": {"field": ["..."]}}

``type`` is stable and machine-readable; ``title`` and ``detail`` are translated.
"""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from omnishop.exceptions import DomainError

_TYPES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _titles() -> dict[str, str]:
    # Looked up per call so the active language applies.
    return {
        "validation_error": _("Invalid input."),
        "parse_error": _("Malformed request."),
        "authentication_failed": _("Authentication failed."),
        "not_authenticated": _("Authentication required."),
        "permission_denied": _("Permission denied."),
        "not_found": _("Not found."),
        "method_not_allowed": _("Method not allowed."),
        "not_acceptable": _("Not acceptable."),
        "unsupported_media_type": _("Unsupported media type."),
        "throttled": _("Too many requests."),
        "payload_too_large": _("Request body too large."),
        "uri_too_long": _("Request address too long."),
        "server_error": _("Server error."),
        "conflict": _("Conflict with the current state."),
        "error": _("Request failed."),
    }


def _flatten(data) -> list[str]:
    if isinstance(data, dict):
        return [m for v in data.values() for m in _flatten(v)]
    if isinstance(data, list):
        return [m for v in data for m in _flatten(v)]
    return [str(data)]


def _field_errors(data) -> dict[str, list[str]]:
    """DRF's nested error detail → {"field": [...], "variants.0.sku": [...]}."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
            for i, sub in enumerate(value):
                if sub:
                    walk(f"{prefix}.{i}" if prefix else str(i), sub)
        else:
            msgs = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in msgs)

    walk("", data)
    return out


def error_body(*, type: str, detail: str, errors: dict | None = None, title: str | None = None):
    titles = _titles()
    return {
        "type": type,
        "title": str(title or titles.get(type, titles["error"])),
        "detail": str(detail),
        "errors": errors or {},
    }


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = error_body(type=exc.code, title=exc.title, detail=exc.detail, errors=exc.errors)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a 500: let Django log it and answer

    err_type = next(
        (v for k, v in _TYPES.items() if isinstance(exc, k)),
        "conflict" if response.status_code == status.HTTP_409_CONFLICT else "error",
    )
    # Specific codes raised on purpose (e.g. PermissionDenied(code="channel_mismatch")) win.
    code = getattr(exc, "default_code", None)
    detail_codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    if isinstance(detail_codes, str) and detail_codes != code:
        err_type = detail_codes

    if isinstance(exc, exceptions.Throttled):
        # DRF's own wording is half translated in Polish; the wait is also in Retry-After.
        wait = max(math.ceil(exc.wait), 1) if exc.wait is not None else None
        detail = (
            ngettext("Try again in %(seconds)d second.", "Try again in %(seconds)d seconds.", wait) % {"seconds": wait}
            if wait
            else _("Try again later.")
        )
        response.data = error_body(type="throttled", detail=detail)
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        body = error_body(type="validation_error", detail=detail or _("Invalid input."), errors=errors)
    else:
        body = error_body(type=err_type, detail=" ".join(_flatten(exc.detail)))
    response.data = body
    return response

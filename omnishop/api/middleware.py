"""The edge of every request: a request id, bytes no handler should ever see, and the API's error
body for what Django answers outside the API's views (unknown paths, 413, 500).

``RequestGuardMiddleware`` sits first in ``MIDDLEWARE`` so nothing below it (sessions, CSRF,
authentication, the views) reads a path, query string or header carrying NUL or a lone
surrogate, or a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

import json
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from omnishop.text import FORBIDDEN_CHARACTERS, non_ascii_number

from .exceptions import error_body

logger = logging.getLogger("omnishop.api")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (it ends up in logs and headers).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def json_error(*, status: int, type: str, detail: str, errors: dict | None = None, request_id: str = "", **headers):
    body = error_body(type=type, detail=detail, errors=errors)
    if request_id:
        body["request_id"] = request_id
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(text, status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _request_id(request) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _forbidden_in(request) -> dict[str, list[str]]:
    message = _("Control characters (such as NUL) and unpaired surrogates are not allowed.")
    errors: dict[str, list[str]] = {}
    if FORBIDDEN_CHARACTERS.search(request.path_info) or FORBIDDEN_CHARACTERS.search(request.path):
        errors["path"] = [message]
    for key, values in request.GET.lists():
        name = f"query.{key[:64] if not FORBIDDEN_CHARACTERS.search(key) else '?'}"
        if FORBIDDEN_CHARACTERS.search(key) or any(FORBIDDEN_CHARACTERS.search(v) for v in values):
            errors[name] = [message]
        elif any(non_ascii_number(v) for v in values):
            errors[name] = [_("Write numbers with the digits 0-9.")]
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            errors[f"header.{key[5:].replace('_', '-').title()}"] = [message]
    return errors


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _request_id(request)
        # This middleware answers before LocaleMiddleware has chosen the language (a refusal) and
        # after it (Django's own 404/405 as the error body): both in the request's language, as
        # LocaleMiddleware would choose it, never in whatever the thread's last request left active.
        with translation.override(translation.get_language_from_request(request)):
            response = self._refusal(request) or self.get_response(request)
            if is_api_path(request.path_info) and response.status_code >= 400 and not _is_json(response):
                response = self._as_error_body(request, response)
        response[REQUEST_ID_HEADER] = request.request_id
        return response

    def _refusal(self, request):
        try:
            errors = _forbidden_in(request)
        except SuspiciousOperation as exc:  # e.g. more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS
            return json_error(status=400, type="validation_error", detail=str(exc), request_id=request.request_id)
        if errors:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            return json_error(
                status=400, type="validation_error", detail=detail, errors=errors, request_id=request.request_id
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return json_error(
                status=413,
                type="payload_too_large",
                detail=_("The request body is larger than %(limit)d bytes.") % {"limit": limit},
                request_id=request.request_id,
                Connection="close",
            )
        return None

    def process_exception(self, request, exception):
        """Anything a view under /api/ did not handle: logged with the request id the body carries."""
        if not is_api_path(request.path_info):
            return None
        logger.error(
            "Unhandled error on %s %s (request_id=%s)",
            request.method,
            request.path_info.encode("unicode_escape").decode("ascii"),
            request.request_id,
            exc_info=exception,
        )
        return json_error(
            status=500,
            type="server_error",
            detail=_("Something went wrong on our side. Quote the request id when you report it."),
            request_id=request.request_id,
        )

    def _as_error_body(self, request, response):
        """Django's own HTML answers under /api/ (an unknown path, a 405 outside DRF) in the error body."""
        status = response.status_code
        types = {
            400: "parse_error",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            414: "uri_too_long",
            429: "throttled",
        }
        details = {
            404: _("No API endpoint at this address."),
            405: _("This method is not allowed here."),
            413: _("The request body is too large."),
        }
        err_type = types.get(status, "server_error" if status >= 500 else "error")
        new = json_error(
            status=status,
            type=err_type,
            detail=details.get(status, _("Request failed.")),
            request_id=request.request_id if status >= 500 else "",
        )
        for header in ("Allow", "Retry-After"):
            if header in response:
                new[header] = response[header]
        return new


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")

"""Request body parsers that refuse what no handler should see: JSON nested deeper than
``OMNISHOP_API_MAX_JSON_DEPTH``, and NUL, other control characters or lone UTF-16 surrogates in
any string or key (PostgreSQL cannot store NUL, and a lone surrogate cannot be encoded back)."""

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.utils import json

from omnishop.text import FORBIDDEN_CHARACTERS, non_ascii_number


def _forbidden_message() -> str:
    return _("Control characters (such as NUL) and unpaired surrogates are not allowed.")


def non_ascii_number_message() -> str:
    return _("Write numbers with the digits 0-9.")


def check_json_value(data, *, max_depth: int) -> None:
    """Walks ``data`` without recursion; raises ValidationError keyed by the offending path."""
    stack = [(data, "", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if FORBIDDEN_CHARACTERS.search(value):
                raise exceptions.ValidationError({where or "non_field_errors": [_forbidden_message()]})
            if non_ascii_number(value):
                raise exceptions.ValidationError({where or "non_field_errors": [non_ascii_number_message()]})
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise exceptions.ValidationError(
                {where or "non_field_errors": [_("JSON nested deeper than %(max)d levels.") % {"max": max_depth}]}
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, sub in items:
            if isinstance(key, str) and FORBIDDEN_CHARACTERS.search(key):
                raise exceptions.ValidationError({where or "non_field_errors": [_forbidden_message()]})
            safe_key = key if isinstance(key, int) else key[:64]
            stack.append((sub, f"{where}.{safe_key}" if where else str(safe_key), depth + 1))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read() if stream is not None else ""
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(
                _("JSON nested deeper than %(max)d levels.") % {"max": settings.OMNISHOP_API_MAX_JSON_DEPTH}
            ) from None
        except ValueError as exc:  # includes UnicodeDecodeError
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": str(exc)[:200]}) from None
        check_json_value(data, max_depth=settings.OMNISHOP_API_MAX_JSON_DEPTH)
        return data


def _check_form(data) -> None:
    for key, values in data.lists():
        field = "non_field_errors" if FORBIDDEN_CHARACTERS.search(key) else key[:64]
        if field != key[:64] or any(isinstance(v, str) and FORBIDDEN_CHARACTERS.search(v) for v in values):
            raise exceptions.ValidationError({field: [_forbidden_message()]})
        if any(isinstance(v, str) and non_ascii_number(v) for v in values):
            raise exceptions.ValidationError({field: [non_ascii_number_message()]})


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            result = super().parse(stream, media_type, parser_context)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("Multipart form parse error.")) from None
        _check_form(result.data)
        return result

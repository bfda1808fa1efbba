"""The event catalogue: every outbox event type omnishop emits, with a JSON Schema (draft 2020-12)
of each version's payload.

The domain apps define their schemas next to their payload builders (``<app>/events.py``) and
register them from their ``AppConfig.ready()``; this module imports no domain app. Webhook
subscriptions are checked against ``event_types()``; ``GET /api/v1/events/`` and
``docs/events.md`` (``manage.py events_doc``) publish the catalogue.

Within a version a payload only gains keys (and its schema with them); a key removed or changed
in meaning is a new version. Each schema lists every key as required and allows no other, so a
payload that drifts from its schema fails the tests that pin it.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class EventSchema:
    """One version of one event type: what it means, what it is about and its payload's schema."""

    type: str
    version: int
    aggregate: str
    description: str
    schema: dict


_registry: dict[tuple[str, int], EventSchema] = {}


def event_schemas_register(schemas) -> None:
    """Add ``EventSchema`` entries (from an app's ``ready()``). Registering the same entry again
    is harmless; another schema under a (type, version) already taken is a programming error."""
    for entry in schemas:
        key = (entry.type, entry.version)
        if _registry.get(key, entry) != entry:
            raise ValueError(f"event {entry.type} version {entry.version} is registered twice")
        _registry[key] = entry


def event_types() -> list[str]:
    """Every registered event type, sorted."""
    return sorted({event_type for event_type, _version in _registry})


def event_versions(event_type: str) -> list[int]:
    """The registered versions of ``event_type``, oldest first (empty for an unknown type)."""
    return sorted(version for registered, version in _registry if registered == event_type)


def event_schema_get(event_type: str, version: int | None = None) -> EventSchema:
    """The entry of ``event_type`` at ``version`` (default: its newest). Raises ``LookupError``
    for an unknown type or version."""
    versions = event_versions(event_type)
    if not versions:
        raise LookupError(f"unknown event type {event_type!r}")
    version = versions[-1] if version is None else version
    try:
        return _registry[(event_type, version)]
    except KeyError:
        raise LookupError(f"event type {event_type!r} has no version {version}") from None


def event_schema(event_type: str, version: int) -> dict:
    """The JSON Schema of ``event_type``'s payload at ``version``. Raises ``LookupError``."""
    return event_schema_get(event_type, version).schema


def event_catalogue() -> list[EventSchema]:
    """Every registered entry, by type, then version."""
    return [_registry[key] for key in sorted(_registry)]


@cache
def _format_checker():
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def aware_datetime(value) -> bool:
        # RFC 3339 as Python writes it (isoformat): a date, "T", a time and an offset.
        return not isinstance(value, str) or ("T" in value and datetime.fromisoformat(value).tzinfo is not None)

    return checker


def event_payload_errors(event_type: str, version: int, payload) -> list[str]:
    """What is wrong with ``payload`` for ``event_type`` at ``version`` (empty when it conforms
    to the schema, formats included). Raises ``LookupError`` for an unregistered event."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(event_schema(event_type, version), format_checker=_format_checker())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(payload)'}: {e.message}" for e in validator.iter_errors(payload)
    ]


# Building blocks for the apps' schemas, so every schema is written the same way.
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "A decimal number as a string."}
DATETIME = {"type": "string", "format": "date-time"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 currency code."}


def nullable(schema: dict) -> dict:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def described(schema: dict, description: str) -> dict:
    return {**schema, "description": description}


def strict_object(properties: dict) -> dict:
    """An object with exactly these keys: every one required, no other allowed."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def array_of(items: dict) -> dict:
    return {"type": "array", "items": items}


def payload_schema(*, type: str, version: int, properties: dict, description: str = "") -> dict:
    """The JSON Schema of one version of an event's payload."""
    return {
        "$schema": DRAFT,
        "$id": f"urn:omnishop:event:{type}:{version}",
        "title": f"{type} v{version}",
        **({"description": description} if description else {}),
        **strict_object(properties),
    }


def event(*, type: str, version: int, aggregate: str, description: str, properties: dict) -> EventSchema:
    """A catalogue entry whose schema is built from ``properties`` (see ``payload_schema``);
    ``type`` may be an app's ``StrEnum`` member."""
    type = str(type)
    schema = payload_schema(type=type, version=version, properties=properties, description=description)
    return EventSchema(type=type, version=version, aggregate=aggregate, description=description, schema=schema)

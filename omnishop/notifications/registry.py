"""Which messages exist: a template key names its files under ``templates/notifications/<key>/``
(``subject.txt``, ``body.txt``, ``body.html`` for e-mail, ``short.txt`` for SMS and push) and
whether it is transactional (about an order the person placed: no consent needed) or promotional
(needs the person's marketing consent).

Domain apps register their templates in their ``AppConfig.ready()``, and with them the secrets
a message carries but the notification row must not: a ``secret`` names a provider the domain
registers (``secret_provider_register``), asked at send time with the notification's order
reference; it answers the value, or None when it no longer holds (the message is then cancelled).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TRANSACTIONAL = "transactional"
    PROMOTIONAL = "promotional"


@dataclass(frozen=True)
class NotificationTemplate:
    key: str
    kind: Kind = Kind.TRANSACTIONAL
    # A secret the message shows (context key = provider name), read at send time, never stored.
    secret: str = ""
    # A context key whose value the e-mail shows as a QR code (an inline PNG, Content-ID "qr").
    qr: str = ""
    # What staff read in admin (translatable); the key when not given.
    label: object = ""

    def path(self, part: str) -> str:
        return f"notifications/{self.key}/{part}"


_templates: dict[str, NotificationTemplate] = {}
_secret_providers: dict[str, Callable[[str], str | None]] = {}


def template_register(*templates: NotificationTemplate) -> None:
    for template in templates:
        _templates[template.key] = template


def template_get(key: str) -> NotificationTemplate:
    """The registered template ``key``; a ``KeyError`` names an unknown one (a programming error)."""
    return _templates[key]


def template_label(key: str):
    """The template's label for people (``key`` for a template no longer registered)."""
    template = _templates.get(key)
    return (template.label or key) if template else key


def templates_all() -> list[NotificationTemplate]:
    return sorted(_templates.values(), key=lambda t: t.key)


def secret_provider_register(name: str, provider: Callable[[str], str | None]) -> None:
    _secret_providers[name] = provider


def secret_get(name: str, order_reference: str) -> str | None:
    return _secret_providers[name](order_reference)

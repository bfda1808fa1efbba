"""Senders: one per channel, chosen by settings (dotted paths), each with ``send(message)`` that
returns the provider's id for the message or raises (any exception is a failed attempt).

``OMNISHOP_NOTIFICATION_EMAIL_SENDER`` (Django's e-mail backend, ``EMAIL_*`` settings),
``OMNISHOP_NOTIFICATION_SMS_SENDER`` and ``OMNISHOP_NOTIFICATION_PUSH_SENDER`` (console senders
for local runs; a provider's sender implements the same method)."""

import sys
from dataclasses import dataclass, field
from email.mime.image import MIMEImage
from email.utils import make_msgid
from functools import cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from .masking import recipient_masked

REDACTED = "••••••"


@dataclass(frozen=True)
class InlineImage:
    cid: str
    png: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    recipient: str
    text: str
    subject: str = ""
    html: str = ""
    images: tuple[InlineImage, ...] = ()
    # Values (a pickup code) no console, log or error message may repeat.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    reference: str = ""  # the notification's id, for the provider's records

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return text


class EmailSender:
    """Through Django's e-mail backend: text and HTML alternatives, images inline (``cid:``)."""

    def send(self, message: OutgoingMessage) -> str:
        message_id = make_msgid(domain=settings.OMNISHOP_NOTIFICATION_MESSAGE_ID_DOMAIN)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            to=[message.recipient],
            headers={"Message-ID": message_id},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        if message.images:
            email.mixed_subtype = "related"  # the images belong to the HTML, not as attachments
            for image in message.images:
                part = MIMEImage(image.png, "png")
                part.add_header("Content-ID", f"<{image.cid}>")
                part.add_header("Content-Disposition", "inline", filename=f"{image.cid}.png")
                email.attach(part)
        email.send(fail_silently=False)
        return message_id


class ConsoleSender:
    """Local runs: the message on standard output, its recipient masked and its secrets redacted
    (the pickup code is read in the order, not on a console)."""

    label = "message"

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, message: OutgoingMessage) -> str:
        stream = self.stream or sys.stdout
        to = recipient_masked(message.channel, message.recipient)
        stream.write(f"[{self.label} to {to}] {message.redact(message.text)}\n")
        stream.flush()
        return f"console:{message.reference}"


class ConsoleSmsSender(ConsoleSender):
    label = "SMS"


class ConsolePushSender(ConsoleSender):
    label = "push"


SENDER_SETTINGS = {
    "email": "OMNISHOP_NOTIFICATION_EMAIL_SENDER",
    "sms": "OMNISHOP_NOTIFICATION_SMS_SENDER",
    "push": "OMNISHOP_NOTIFICATION_PUSH_SENDER",
}


@cache
def _sender(path: str):
    return import_string(path)()


def sender_for(channel: str):
    """The configured sender of ``channel`` (one instance per dotted path and process)."""
    return _sender(getattr(settings, SENDER_SETTINGS[channel]))

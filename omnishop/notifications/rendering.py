"""A notification's message in its language: subject, text and HTML for e-mail (with the QR code
as an inline image), a short text for SMS and push. Dates in Europe/Warsaw."""

import io
import re

import segno
from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from .models import Notification
from .registry import template_get
from .senders import InlineImage, OutgoingMessage

QR_CID = "qr"


def _render(path: str, context: dict, *, html: bool) -> str:
    template = get_template(path)
    if html:
        return template.render(context)
    # Plain text: nothing to escape (an "&" in a product name stays an "&").
    return template.template.render(Context(context, autoescape=False))


def qr_png(value: str) -> bytes:
    """``value`` as a QR code PNG (pure Python, segno): the store can scan it at the hand-over."""
    buffer = io.BytesIO()
    segno.make(value, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def message_render(notification: Notification, *, secret: str | None = None) -> OutgoingMessage:
    """The message ``notification`` sends; ``secret`` is the template's secret read at send time."""
    template = template_get(notification.template)
    context = dict(notification.context)
    secrets: tuple[str, ...] = ()
    if template.secret:
        context[template.secret] = secret or ""
        secrets = (secret or "",)
    with translation.override(notification.language), timezone.override(settings.TIME_ZONE):
        if notification.channel != Notification.Channel.EMAIL:
            text = _render(template.path("short.txt"), context, html=False)
            return OutgoingMessage(
                channel=notification.channel,
                recipient=notification.recipient,
                text=" ".join(text.split()),
                secrets=secrets,
                reference=str(notification.pk),
            )
        images = ()
        if template.qr and context.get(template.qr):
            images = (InlineImage(cid=QR_CID, png=qr_png(str(context[template.qr]))),)
            context["qr_cid"] = QR_CID
        subject = _render(template.path("subject.txt"), context, html=False)
        text = _render(template.path("body.txt"), context, html=False)
        html = _render(template.path("body.html"), context, html=True)
    return OutgoingMessage(
        channel=notification.channel,
        recipient=notification.recipient,
        subject=" ".join(subject.split()),
        text=re.sub(r"\n{3,}", "\n\n", text).strip() + "\n",
        html=html,
        images=images,
        secrets=secrets,
        reference=str(notification.pk),
    )

"""Writes for channel API keys. The plain key is returned once and never stored."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ChannelAPIKey, Scope


def apikey_create(
    *, channel, name: str, actor=None, expires_at: datetime | None = None, scopes: list[str] | None = None
) -> tuple[ChannelAPIKey, str]:
    """Create a key for one channel. Returns (key row, plain key); show the plain key once.
    Raises ``ValidationError`` for an unknown scope."""
    unknown = set(scopes or []) - set(Scope.values)
    if unknown:
        raise ValidationError({"scopes": [_("Unknown scope %(scope)s.") % {"scope": s} for s in sorted(unknown)]})
    with transaction.atomic():
        key_row, plain = ChannelAPIKey.objects.create_key(
            channel=channel, name=name, created_by=actor, expiry_date=expires_at, scopes=sorted(set(scopes or []))
        )
    return key_row, plain


def apikey_revoke(*, key: ChannelAPIKey, actor=None) -> ChannelAPIKey:
    """Revoke a key for good: requests with it fail from the next call on."""
    with transaction.atomic():
        ChannelAPIKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def apikey_touch(*, key: ChannelAPIKey) -> None:
    """Record use; written at most once per resolution window so busy keys don't write per call."""
    now = timezone.now()
    window = timedelta(seconds=settings.OMNISHOP_APIKEY_LAST_USED_RESOLUTION_SECONDS)
    if key.last_used_at is None or now - key.last_used_at >= window:
        ChannelAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now

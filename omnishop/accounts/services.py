"""Account writes: the failed-login mirror staff see, and unlocking an account."""

from datetime import timedelta
from functools import partial

from allauth.core import ratelimit
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from .models import LoginLockout, User


def login_failure_record(*, login: str, address: str | None) -> LoginLockout | None:
    """Count a wrong password for the account with e-mail ``login`` (made-up e-mails write
    nothing, so a guesser cannot grow the table). The window and the limit are allauth's
    (``OMNISHOP_LOGIN_LOCKOUT_SECONDS``,
    ``OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT``): the count restarts once a window passed,
    and ``locked_until`` is set when it reaches the limit."""
    user = User.objects.filter(email__iexact=login).only("pk").first() if login else None
    if user is None:
        return None
    now = timezone.now()
    window = timedelta(seconds=settings.OMNISHOP_LOGIN_LOCKOUT_SECONDS)
    limit = settings.OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT
    with transaction.atomic():
        lockout, created = LoginLockout.objects.select_for_update().get_or_create(
            user=user,
            defaults={"failures": 1, "first_failed_at": now, "last_failed_at": now, "last_address": address},
        )
        if not created:
            if lockout.first_failed_at <= now - window:  # a new window
                lockout.failures, lockout.first_failed_at = 1, now
            else:
                lockout.failures = F("failures") + 1
            lockout.last_failed_at, lockout.last_address = now, address
            lockout.save(update_fields=["failures", "first_failed_at", "last_failed_at", "last_address"])
            lockout.refresh_from_db(fields=["failures"])
        if lockout.failures >= limit and not lockout.is_locked:
            lockout.locked_until = now + window
            lockout.save(update_fields=["locked_until"])
    return lockout


def login_lockout_clear(*, lockout: LoginLockout, actor, request: HttpRequest) -> None:
    """Unlock the account: allauth's failed-login count for its e-mail goes (on the shared
    cache, for every process) and so does the mirror row. ``request`` is the actor's, from
    which allauth derives its rate-limit keys."""
    email = lockout.user.email.lower()
    with transaction.atomic():
        LoginLockout.objects.filter(pk=lockout.pk).delete()
        transaction.on_commit(partial(ratelimit.clear, request, action="login_failed", key=email))

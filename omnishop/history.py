"""What a service did, in the admin's history of the object (who, what, when).

Django's admin writes its own history for what its forms save; an admin action or page that
calls a service (ship a transfer, adjust stock, rotate a webhook secret) records it here, so
the object's "History" shows it too. Imports no domain app: any model instance will do."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

__all__ = ["ADDITION", "CHANGE", "DELETION", "admin_history_record"]


def admin_history_record(*, actor, obj, message, flag: int = CHANGE) -> LogEntry | None:
    """One history entry on ``obj`` by ``actor`` (a user) saying ``message`` (shown as written).
    Nothing is recorded without a signed-in actor: the history names a person."""
    if actor is None or not getattr(actor, "pk", None) or obj is None or obj.pk is None:
        return None
    return LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=flag,
        change_message=str(message),
    )

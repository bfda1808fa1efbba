"""The transactional outbox: events for machines, written in the same transaction as the change."""

import os
import time
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def event_id() -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562: 48 bits of Unix milliseconds, then random
    bits): consumers can sort events by id, and new rows land at the end of the primary-key
    index instead of on a random page of it. PostgreSQL's ``outbox_event_id()`` (migration
    0004) makes the same kind of id for events written in bulk."""
    value = (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC variant
    return uuid.UUID(int=value)


SEQUENCE_NAME = "outbox_event_sequence"


class NextVal(models.Func):
    """``nextval('<sequence>')``: the database numbers rows in the order they are written."""

    function = "nextval"
    output_field = models.BigIntegerField()

    def __init__(self, sequence: str):
        super().__init__(models.Value(sequence))


class OutboxEvent(models.Model):
    """One fact another system may want (ERP, CRM, marketplaces). Delivered at least once;
    consumers de-duplicate by ``id``.

    ``coalesce_key`` lets frequent events (stock.changed per SKU and location) keep one pending
    row that is updated in place until it is delivered; each update gives the row a new ``id``
    and ``sequence``, so a consumer that de-duplicates by id never drops the newer payload.

    ``sequence`` orders events as they were written (a PostgreSQL sequence, strictly increasing):
    UUIDv7 ids are not ordered within one millisecond, and the webhooks deliver an aggregate's
    events in this order.
    """

    id = models.UUIDField(primary_key=True, default=event_id, editable=False)
    type = models.CharField(_("type"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    aggregate_type = models.CharField(_("aggregate type"), max_length=50)
    aggregate_id = models.CharField(_("aggregate id"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    sequence = models.BigIntegerField(_("sequence"), db_default=NextVal(SEQUENCE_NAME), editable=False)
    coalesce_key = models.CharField(_("coalesce key"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["coalesce_key"],
                condition=Q(delivered_at__isnull=True) & ~Q(coalesce_key=""),
                name="outbox_one_pending_per_coalesce_key",
            ),
        ]
        # Few indexes: a bulk stock sync writes 10,000 events in one statement, and every index
        # with random keys (the coalesce key is one) costs a page write per event. Delivery reads
        # the pending ones oldest first (a partial index that stays as small as the backlog); the
        # admin lists by creation time. Nothing looks events up by aggregate, so no index on it.
        # The fan-out reads pending rows in sequence order.
        indexes = [
            models.Index(fields=["sequence"], condition=Q(delivered_at__isnull=True), name="outbox_pending_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregate_type}:{self.aggregate_id}"

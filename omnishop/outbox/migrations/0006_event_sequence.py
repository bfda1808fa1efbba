"""Events numbered in the order they are written (webhooks deliver an aggregate's events in
this order; UUIDv7 ids are not ordered within one millisecond). The fan-out reads pending
events by this number, so the pending index moves to it."""

import omnishop.outbox.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("outbox", "0005_drop_aggregate_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS outbox_event_sequence AS bigint",
            "DROP SEQUENCE IF EXISTS outbox_event_sequence",
            elidable=False,
        ),
        migrations.AddField(
            model_name="outboxevent",
            name="sequence",
            field=models.BigIntegerField(
                db_default=omnishop.outbox.models.NextVal("outbox_event_sequence"),
                editable=False,
                verbose_name="sequence",
            ),
        ),
        migrations.RemoveIndex(
            model_name="outboxevent",
            name="outbox_pending",
        ),
        migrations.AddIndex(
            model_name="outboxevent",
            index=models.Index(
                condition=models.Q(("delivered_at__isnull", True)), fields=["sequence"], name="outbox_pending_sequence"
            ),
        ),
    ]

"""Room on every page for updates of stock levels (allocations, syncs, counts): they change
only on_hand / allocated / updated_at, none of them indexed, so they can stay HOT updates."""

from django.db import migrations

from omnishop.db import table_fillfactor


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_lean_indexes")]

    operations = [table_fillfactor("inventory_stocklevel", 80)]

import pytest
from django.db import connection


@pytest.mark.django_db
@pytest.mark.parametrize(("table", "percent"), [("outbox_outboxevent", 70), ("inventory_stocklevel", 80)])
def test_update_heavy_tables_leave_room_for_hot_updates(table, percent):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        [options] = cursor.fetchone()
    assert f"fillfactor={percent}" in options

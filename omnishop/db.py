"""Database details Django's models cannot express, as migration operations."""

from django.db import migrations


def table_fillfactor(table: str, percent: int) -> migrations.RunPython:
    """Leave ``100 - percent`` % of every new page of ``table`` free, so
    updates that change no indexed column stay on their page as HOT updates: no new index
    entries, far less WAL. Pages already written keep their layout until VACUUM FULL (or
    pg_repack) rewrites the table."""

    def set_(apps, schema_editor, value=f"SET (fillfactor = {int(percent)})"):
        schema_editor.execute(f'ALTER TABLE "{table}" {value}')

    def reset(apps, schema_editor):
        set_(apps, schema_editor, value="RESET (fillfactor)")

    return migrations.RunPython(set_, reset, elidable=False)

"""Trigram indexes for the product text search (``icontains`` is UPPER(...) LIKE)."""

from django.db import migrations

INDEXES = {
    "catalog_product_name_trgm": "UPPER(name::text) gin_trgm_ops",
    "catalog_product_description_trgm": "UPPER(description::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON catalog_product USING gin ({expression})")


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product_name_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

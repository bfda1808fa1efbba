"""Rows written out for an ``INSERT`` that shares its statement with other writes (a data-modifying
``WITH``): the columns, the ``VALUES`` and the parameters, each value prepared by its model field
as the ORM would prepare it."""

from django.db import connection


class Sql(str):
    """SQL written into the ``VALUES`` instead of a parameter (a sibling CTE's id)."""


def insert_values(model, rows: list[dict]) -> tuple[list[str], str, list]:
    """Columns (quoted), ``VALUES`` rows and parameters inserting ``rows`` (attribute name →
    value; the fields' defaults for the others) into ``model``'s table, the primary key left to
    the database."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    tuples, params = [], []
    for row in rows:
        marks = []
        for f in fields:
            value = row[f.attname] if f.attname in row else f.get_default()
            if isinstance(value, Sql):
                marks.append(value)
            else:
                marks.append("%s")
                params.append(f.get_db_prep_save(value, connection))
        tuples.append("(" + ", ".join(marks) + ")")
    return [connection.ops.quote_name(f.column) for f in fields], ", ".join(tuples), params

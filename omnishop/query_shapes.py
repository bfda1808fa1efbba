"""Hot reads compiled once: Django's SQL for a queryset shape, re-run with new values.

Django turns a queryset into SQL in Python on every call (resolving expressions, joins and
annotations), which for a small indexed read costs more than PostgreSQL spends running it. A
``QueryShape`` builds its queryset once per distinct structure (the number of ids in a list,
a flag that changes the joins) with stand-in values for the arguments, keeps the SQL Django
compiled, notes where each stand-in landed among the parameters, and from then on runs that
same SQL with the caller's values in those places. The statement is exactly the one the ORM
would send; only the Python that rebuilt it each time is gone.

Stand-ins are values no caller passes (negative ids, floats and datetimes from far outside any
real range), so each one is found among the compiled parameters by equality. A shape whose
stand-in does not come back among the parameters (the ORM folded or transformed it) refuses
to compile instead of running with a value in the wrong place.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

_stand_ins = itertools.count(1)
# Compiled statements kept per shape (lists of every length a caller sends, at most).
MAX_SHAPES = 256
_EPOCH = datetime(1901, 1, 1, tzinfo=UTC)


class ShapeError(RuntimeError):
    """A stand-in value did not survive compilation; the shape cannot be re-bound safely."""


def _stand_in(example):
    """A value of ``example``'s type that no caller passes, unique in the process."""
    n = next(_stand_ins)
    if isinstance(example, bool):
        raise ShapeError("booleans change the SQL's structure: make them part of the key")
    if isinstance(example, int):
        return -(10**9) - n  # inside a 32-bit integer: the ORM folds out-of-range lookups
    if isinstance(example, float):
        return -1.0e9 - n
    if isinstance(example, datetime):
        return _EPOCH + timedelta(microseconds=n)
    if isinstance(example, str):
        return f"\x1fshape-{n}"
    raise ShapeError(f"no stand-in for {type(example).__name__}")


class QueryShape:
    """``build(**shape, **values) -> QuerySet`` (a ``values_list()`` queryset), compiled once
    per shape; ``rows(shape={...}, **values)`` runs the compiled SQL with ``values`` and
    returns the rows as tuples, as ``values_list`` would (Django's value converters applied,
    e.g. JSON columns decoded).

    ``shape`` holds what changes the SQL's text (flags that add a join or a filter, a LIMIT)
    and is passed to ``build`` as it is; ``values`` are scalars or sequences of scalars bound
    as parameters (a sequence's length is part of the shape, as it changes an ``IN`` list).
    """

    def __init__(self, build: Callable[..., QuerySet], *, using: str = "default") -> None:
        self._build = build
        self._using = using
        self._compiled: dict[Hashable, tuple[str, list, list]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(shape: dict, values: dict) -> Hashable:
        # Which values are given (an optional one adds a filter) and each sequence's length.
        given = tuple(
            (name, len(value) if isinstance(value, Sequence) and not isinstance(value, str) else None)
            for name, value in sorted(values.items())
        )
        return tuple(sorted(shape.items())), given

    def _get(self, shape: dict, values: dict) -> tuple[str, list, list]:
        key = self._key(shape, values)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(shape, values)
                if len(self._compiled) >= MAX_SHAPES:
                    del self._compiled[next(iter(self._compiled))]  # the oldest compiled
                self._compiled[key] = compiled
        return compiled

    def sql(self, *, shape: dict | None = None, **values) -> tuple[str, list]:
        """The SQL and parameters the shape runs for ``values``."""
        sql, slots, _ = self._get(shape or {}, values)
        return sql, self._params(slots, values)

    @staticmethod
    def _params(slots: list, values: dict) -> list:
        params = []
        for slot in slots:
            if slot[0] == "const":
                params.append(slot[1])
            else:
                _, name, index = slot
                params.append(values[name] if index is None else values[name][index])
        return params

    def rows(self, *, shape: dict | None = None, **values) -> list[tuple]:
        sql, slots, converters = self._get(shape or {}, values)
        connection = connections[self._using]
        with connection.cursor() as cursor:
            cursor.execute(sql, self._params(slots, values))
            rows = cursor.fetchall()
        # Django 5.2 selects a values_list()'s columns in the order asked, as the rows come back.
        if not converters:
            return rows
        result = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            result.append(tuple(row))
        return result

    def _compile(self, shape: dict, values: dict) -> tuple[str, list, list]:
        where: dict = {}  # stand-in value -> (name, index or None)
        stand_ins: dict = {}
        for name, value in values.items():
            if isinstance(value, Sequence) and not isinstance(value, str):
                replaced = []
                for index, item in enumerate(value):
                    stand_in = _stand_in(item)
                    where[stand_in] = (name, index)
                    replaced.append(stand_in)
                stand_ins[name] = replaced
            else:
                stand_in = _stand_in(value)
                where[stand_in] = (name, None)
                stand_ins[name] = stand_in
        queryset = self._build(**shape, **stand_ins)
        if queryset._iterable_class is not ValuesListIterable:
            raise ShapeError("a shape is a values_list() queryset (rows as tuples)")
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        selected = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(selected).items()
        ]
        slots, seen = [], set()
        for param in params:
            found = where.get(param) if isinstance(param, Hashable) and not isinstance(param, bool) else None
            if found is None:
                slots.append(("const", param))
            else:
                slots.append(("value", *found))
                seen.add(param)
        if missing := [where[s] for s in where if s not in seen]:
            raise ShapeError(f"values not found among the compiled parameters: {missing}")
        return sql, slots, converters

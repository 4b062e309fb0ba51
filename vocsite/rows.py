"""Model instances to and from hand-written SQL, for the few hot paths where building a query
through the ORM costs more CPU than PostgreSQL spends running it (the survey submission).

Column lists come from the models' metadata, so a new field is read and written without
editing any SQL; only the joins and conditions are written by hand.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def column_list(model: type[models.Model], alias: str) -> str:
    """Every concrete column of the model, qualified by the table alias, in field order."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def column_count(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance_from_row(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from its columns as `column_list` selects them, with fields' converters applied."""
    converted = list(values)
    for index, converters in _converters(model):
        if converted[index] is not None:
            for converter in converters:
                converted[index] = converter(converted[index], None, connection)
    return model.from_db(connection.alias, None, converted)


@cache
def _converters(model: type[models.Model]) -> list[tuple[int, list[Callable]]]:
    """The fields that need converting from the database (JSON, for instance), by position."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        converters = field.get_db_converters(connection) + connection.ops.get_db_converters(field.cached_col)
        if converters:
            found.append((index, converters))
    return found


def default_columns(model: type[models.Model], *, given: Sequence[str]) -> tuple[list[str], list[str], list[Any]]:
    """The columns a hand-written INSERT does not set: names, typed placeholders and default values.

    So a field added to the model later gets its Python default instead of failing a NOT NULL.
    Defaults are computed on each call (a default may be a callable, such as the time now).
    """
    fields, names, placeholders = _default_columns_sql(model, tuple(given))
    values = [field.get_db_prep_save(field.get_default(), connection) for field in fields]
    return list(names), list(placeholders), values


@cache
def _default_columns_sql(
    model: type[models.Model], given: tuple[str, ...]
) -> tuple[list[models.Field], list[str], list[str]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in given]
    names = [f'"{field.column}"' for field in fields]
    placeholders = [f"CAST(%s AS {field.db_type(connection)})" for field in fields]
    return fields, names, placeholders

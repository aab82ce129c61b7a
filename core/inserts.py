"""INSERT ... ON CONFLICT (...) DO NOTHING RETURNING for one model instance.

The unique index decides, in one statement: no pre-check, no savepoint, no IntegrityError
to catch. A concurrent insert of the same key waits on the index until the other
transaction ends, then either inserts (it rolled back) or does nothing (it committed).
"""

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import InsertQuery


def insert_unless_conflict(obj: Model, *, conflict: Sequence[str], returning: Sequence[str] = ("id",)) -> tuple | None:
    """INSERT `obj` unless a row with the same `conflict` columns exists; return its `returning`
    columns, or None (nothing written) on a conflict on exactly those columns.

    The statement is Django's own INSERT for the model (every field, each field's pre_save and
    any expression value, as objects.create would write them) with the conflict clause added.
    On success `obj` gets its primary key (when `returning` names "id") and is marked saved.
    A conflict on another unique index still raises IntegrityError.
    """
    model = type(obj)
    meta = model._meta
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    target = ", ".join(quote(meta.get_field(name).column) for name in conflict)
    columns = ", ".join(quote(column) for column in returning)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({target}) DO NOTHING RETURNING {columns}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    if "id" in returning:
        obj.pk = row[list(returning).index("id")]
    obj._state.adding, obj._state.db = False, alias
    return row

"""Changelists of tables that grow to millions of rows: orders, payments, shipments, the inbox, the journal.

Three things make a Django changelist slow on a big table; each has its answer here or in the
admin classes that use it:

* the count under the list: `EstimatedCountPaginator` takes an unfiltered list's size from
  PostgreSQL's statistics once the table is big (a filtered list is still counted exactly,
  and the admins set `show_full_result_count = False`, so that count runs once, not twice);
* substring search, `LIKE '%…%'`, which reads every row: `trigram_search` matches one
  upper-cased expression over the searched fields, and `search_index` is the trigram GIN
  index (pg_trgm) on exactly that expression, so the search is an index scan;
* `date_hierarchy`'s year links, a `DISTINCT date_trunc('year', …)` over every row: the big
  changelists filter by date with a `list_filter` instead.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat, Upper
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal

# Below this many rows (by the statistics) an exact COUNT(*) is cheap, and exact it stays.
ESTIMATE_FROM = 50_000


class EstimatedCountPaginator(Paginator):
    """Django's paginator; an unfiltered list of a big table is counted from pg_class.reltuples.

    One query either way: the statistics decide inside PostgreSQL whether the exact COUNT(*)
    runs at all. reltuples is what autovacuum's last ANALYZE saw (-1 before the first one, so a
    new table is counted exactly); on a big table the shown total may be off by a little,
    which a list that nobody pages to its end can afford.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.where or query.distinct or query.combinator or query.is_sliced:
            return super().count  # filtered or searched: exact, counted once
        connection = connections[queryset.db]
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint "
                f"ELSE (SELECT COUNT(*) FROM {table}) END FROM pg_class c WHERE c.oid = %s::regclass",
                [ESTIMATE_FROM, table],
            )
            return int(cursor.fetchone()[0])


def search_expression(*fields: str) -> Upper:
    """UPPER(field1 || ' ' || field2 …): every searched field in one string, one index for all.

    Admin search splits the words on spaces, so a word never matches across two fields.
    """
    parts = []
    for name in fields:
        parts += [F(name), Value(" ")]
    return Upper(Concat(*parts[:-1], output_field=TextField())) if len(fields) > 1 else Upper(F(fields[0]))


def search_index(name: str, *fields: str) -> GinIndex:
    """The trigram GIN index `trigram_search` over these fields uses (needs the pg_trgm extension)."""
    return GinIndex(OpClass(search_expression(*fields), name="gin_trgm_ops"), name=name)


def search_words(search_term: str) -> list[str]:
    """The words of an admin search as Django splits them ("quoted phrases" stay whole)."""
    words = []
    for bit in smart_split(search_term or ""):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def trigram_search(queryset, fields: tuple[str, ...], search_term: str):
    """Rows where every word occurs in one of `fields` (case-insensitive), through `search_index`."""
    queryset = queryset.alias(kramar_search=search_expression(*fields))
    for word in search_words(search_term):
        queryset = queryset.filter(kramar_search__contains=word.upper())
    return queryset

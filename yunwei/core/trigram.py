"""Trigram indexes for a list's search on PostgreSQL, made by a migration.

Django's `icontains` asks PostgreSQL for UPPER(column) LIKE UPPER('%term%'); a GIN trigram index on the
same expression answers it without reading every row. The expressions given must stay the ones Django
writes, or the planner will not use them. SQLite has no equivalent and scans.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it, no superuser needed.
Running the operation again is harmless.
"""

from django.db import migrations


def trigram_indexes(table: str, indexes: dict[str, str]) -> migrations.RunPython:
    """The migration operation creating (and, reversed, dropping) `indexes`, name → expression, on `table`."""

    def install(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in indexes.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(install, drop)

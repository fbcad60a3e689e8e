from django.db import migrations

# DRF's search (`icontains`) asks PostgreSQL for UPPER(column) LIKE UPPER('%term%'); a trigram index on
# the same expression answers that without reading every incident. The index expressions must stay the
# ones Django writes, or the planner will not use them.
INDEXES = {
    "incident_title_trgm": 'UPPER("title"::text)',
    "incident_description_trgm": 'UPPER("description")',
}


def install(apps, schema_editor):
    """Trigram indexes for the incident search on PostgreSQL; SQLite has no equivalent and scans.

    pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it, no superuser
    needed. Running it again is harmless.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON incidents_incident USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_list_indexes"),
    ]

    operations = [
        migrations.RunPython(install, drop),
    ]

from django.db import migrations

# The inventory's search (`icontains` over code, name, IP address and hostname) asks PostgreSQL for
# UPPER(column) LIKE UPPER('%term%'); trigram indexes on the same expressions answer it without reading
# every item (an inventory may hold a million). The expressions must stay the ones Django writes, or the
# planner will not use them.
INDEXES = {
    "cmdb_item_code_trgm": 'UPPER("code"::text)',
    "cmdb_item_name_trgm": 'UPPER("name"::text)',
    "cmdb_item_ip_trgm": 'UPPER(HOST("ip"))',
    "cmdb_item_hostname_trgm": 'UPPER("hostname"::text)',
}


def install(apps, schema_editor):
    """Trigram indexes for the inventory search on PostgreSQL (as incidents 0004); SQLite scans."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cmdb_item USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0004_item_unit_hostname"),
    ]

    operations = [
        migrations.RunPython(install, drop),
    ]

from django.db import migrations

MESSAGE = "audit events are append-only"
NAMES = ("audit_event_no_update", "audit_event_no_delete")


def install(apps, schema_editor):
    """Make the database itself refuse UPDATE and DELETE of audit events (Art. 11).

    The application refuses them already; the triggers also stop a stray raw query or a shell
    session. TRUNCATE is left alone: it is not an application path, and the test runner on
    PostgreSQL uses it to reset tables. Running it again is harmless.
    """
    table = schema_editor.quote_name("audit_auditevent")
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name, event in zip(NAMES, ("UPDATE", "DELETE"), strict=True):
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    elif vendor == "postgresql":
        # restrict_violation (23001) surfaces as IntegrityError, as SQLite's RAISE(ABORT) does.
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused', "
            "ERRCODE = 'restrict_violation'; END $$"
        )
        schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_event_immutable ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_immutable()"
        )


def drop(apps, schema_editor):
    table = schema_editor.quote_name("audit_auditevent")
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_event_immutable ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_event_immutable()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, drop),
    ]

import importlib

from django.db import migrations

strict = importlib.import_module("yunwei.audit.migrations.0002_immutable_triggers")

MESSAGE = strict.MESSAGE
NAMES = strict.NAMES
# Everything an event says apart from its seal: a sealing update must leave all of it as it was.
CONTENT = (
    "id", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "unit_id",
    "before", "after", "comment",
)  # fmt: skip


def install(apps, schema_editor):
    """Refuse UPDATE and DELETE of audit events again, now allowing the one sealing update (Art. 11).

    Events are written unsealed and sealed once after their commit (`services.seal`): the update that
    gives an unnumbered event its number and hashes, changing nothing else, is let through; any other
    update — of a sealed event, or of an event's content — is refused as before. (SQLite also lost the
    triggers of migration 0002 when the previous migration rebuilt the table.) Running it again is
    harmless.
    """
    table = schema_editor.quote_name("audit_auditevent")
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        same = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT)
        sealing = f"OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {same}"
        update, delete = NAMES
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {update}")
        schema_editor.execute(
            f"CREATE TRIGGER {update} BEFORE UPDATE ON {table} WHEN NOT ({sealing}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {delete} BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    elif vendor == "postgresql":
        new = ", ".join(f"NEW.{column}" for column in CONTENT)
        old = ", ".join(f"OLD.{column}" for column in CONTENT)
        # restrict_violation (23001) surfaces as IntegrityError, as SQLite's RAISE(ABORT) does.
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            f"IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL "
            f"AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused', "
            "ERRCODE = 'restrict_violation'; END $$"
        )
        schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_event_immutable ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_immutable()"
        )


def drop(apps, schema_editor):
    strict.drop(apps, schema_editor)


def back_to_strict(apps, schema_editor):
    strict.drop(apps, schema_editor)
    strict.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_sealer"),
    ]

    operations = [
        migrations.RunPython(install, back_to_strict),
    ]

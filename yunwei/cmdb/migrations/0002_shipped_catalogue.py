from django.db import migrations


def install_catalogue(apps, schema_editor):
    """Install the shipped item types (Art. 2, 4) and relation types; re-running refreshes them by code."""
    from yunwei.cmdb import catalogue

    catalogue.install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0001_inventory"),
    ]

    operations = [
        migrations.RunPython(install_catalogue, migrations.RunPython.noop),
    ]

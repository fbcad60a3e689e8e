from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0002_shipped_catalogue"),
        ("org", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="relation",
            name="cmdb_relation_down",
        ),
        migrations.AddIndex(
            model_name="relation",
            index=models.Index(fields=["target", "source", "type"], name="cmdb_relation_walk"),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_correlation"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("restored_at__isnull", False)),
                fields=["restored_at"],
                name="incident_restored",
            ),
        ),
    ]

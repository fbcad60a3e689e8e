from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0008_window_notice"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="change",
            index=models.Index(
                condition=models.Q(("approved_at__isnull", True), ("kind", "emergency")),
                fields=["unit"],
                name="change_emergency_unapproved",
            ),
        ),
    ]

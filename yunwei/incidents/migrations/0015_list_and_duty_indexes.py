from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_signal_held_by_recurring_window"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ("to_confirm", "reported", "acknowledged", "diagnosing", "repairing", "verifying"),
                    )
                ),
                fields=["grade", "reported_at", "id"],
                include=(
                    "unit",
                    "acknowledge_due_at",
                    "acknowledged_at",
                    "restore_due_at",
                    "restored_at",
                    "closed_as",
                ),
                name="incident_duty",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["unit", "-reported_at", "-id"], name="incident_unit_reported"),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_search_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="acknowledge_warned_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="acknowledge breach warned at"),
        ),
        migrations.AddField(
            model_name="incident",
            name="restore_warned_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="restore breach warned at"),
        ),
        migrations.AlterField(
            model_name="incidentevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reported", "Reported"),
                    ("transition", "State change"),
                    ("grade", "Grade changed"),
                    ("plan", "Emergency plan activated"),
                    ("tick", "Checklist item ticked"),
                    ("notice", "Notice sent"),
                    ("escalation", "Vendor called"),
                    ("arrival", "Vendor engineer arrived"),
                    ("edit", "Details edited"),
                    ("sla_breach", "SLA deadline missed"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("acknowledge_warned_at__isnull", True), ("acknowledged_at__isnull", True)),
                fields=["acknowledge_due_at"],
                name="incident_ack_breach_sweep",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("restore_warned_at__isnull", True), ("restored_at__isnull", True)),
                fields=["restore_due_at"],
                name="incident_restore_breach_sweep",
            ),
        ),
    ]

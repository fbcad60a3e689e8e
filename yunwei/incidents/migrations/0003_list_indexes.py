from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_shipped_grading"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="incident",
            name="incident_unit_state_grade",
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["unit", "state", "grade", "-reported_at", "-id"], name="incident_list"),
        ),
    ]

from django.db import migrations, models
from django.db.models import F


def reports_signed_before_are_taken(apps, schema_editor):
    """Reports signed before this field had their files queued then (or left to the first download): the
    requeue sweep is not to take them up again."""
    Report = apps.get_model("reports", "Report")
    Report.objects.filter(signed_at__isnull=False).update(files_taken_at=F("signed_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_report'),
    ]

    operations = [
        migrations.AddField(
            model_name='report',
            name='files_taken_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(reports_signed_before_are_taken, migrations.RunPython.noop),
    ]

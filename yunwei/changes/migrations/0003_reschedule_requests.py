from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0002_emergency_approval_reminders'),
    ]

    operations = [
        migrations.AddField(
            model_name='change',
            name='requested_end',
            field=models.DateTimeField(blank=True, null=True, verbose_name='requested new end'),
        ),
        migrations.AddField(
            model_name='change',
            name='requested_start',
            field=models.DateTimeField(blank=True, null=True, verbose_name='requested new start'),
        ),
        migrations.AlterField(
            model_name='changeevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Requested'), ('edit', 'Details edited'), ('transition', 'State change'), ('approval', 'Approval decision'), ('notice', 'Users notified'), ('windows', 'Maintenance windows'), ('inventory', 'Inventory updated'), ('approval_overdue', 'Approval overdue'), ('reschedule_request', 'New window requested'), ('reschedule_refused', 'New window refused'), ('conflicts', 'Freeze or collision noted')], max_length=20, verbose_name='kind'),
        ),
    ]

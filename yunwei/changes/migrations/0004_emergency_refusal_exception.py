import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0003_reschedule_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='change',
            name='exception_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='exception recorded at'),
        ),
        migrations.AddField(
            model_name='change',
            name='exception_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='exception recorded by'),
        ),
        migrations.AddField(
            model_name='change',
            name='exception_reason',
            field=models.TextField(blank=True, verbose_name='reason for the exception'),
        ),
        migrations.AlterField(
            model_name='changeevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Requested'), ('edit', 'Details edited'), ('transition', 'State change'), ('approval', 'Approval decision'), ('notice', 'Users notified'), ('windows', 'Maintenance windows'), ('inventory', 'Inventory updated'), ('approval_overdue', 'Approval overdue'), ('reschedule_request', 'New window requested'), ('reschedule_refused', 'New window refused'), ('conflicts', 'Freeze or collision noted'), ('exception', 'Exception to the refusal recorded')], max_length=20, verbose_name='kind'),
        ),
    ]

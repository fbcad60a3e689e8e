from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0004_emergency_refusal_exception'),
        ('cmdb', '0003_impact_walk_index'),
        ('org', '0002_role_assignment_granted_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='changeevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Requested'), ('edit', 'Details edited'), ('transition', 'State change'), ('approval', 'Approval decision'), ('notice', 'Users notified'), ('windows', 'Maintenance windows'), ('inventory', 'Inventory updated'), ('approval_overdue', 'Approval overdue'), ('reschedule_request', 'New window requested'), ('reschedule_refused', 'New window refused'), ('conflicts', 'Freeze or collision noted'), ('exception', 'Exception to the refusal recorded'), ('comment', 'Comment')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['created_at'], name='change_created'),
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['planned_start'], name='change_planned_start'),
        ),
    ]

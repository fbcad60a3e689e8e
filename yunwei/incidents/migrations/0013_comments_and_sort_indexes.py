from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0005_comments_and_sort_indexes'),
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0012_restored_index'),
        ('org', '0002_role_assignment_granted_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='incidentevent',
            name='kind',
            field=models.CharField(choices=[('reported', 'Reported'), ('transition', 'State change'), ('grade', 'Grade changed'), ('grade_proposed', 'Lower grade proposed'), ('grade_refused', 'Proposed grade refused'), ('plan', 'Emergency plan activated'), ('plan_replaced', 'Emergency plan replaced'), ('tick', 'Checklist item ticked'), ('notice', 'Notice sent'), ('escalation', 'Vendor called'), ('arrival', 'Vendor engineer arrived'), ('edit', 'Details edited'), ('sla_breach', 'SLA deadline missed'), ('assign', 'Assigned'), ('signal', 'Monitoring signal folded in'), ('merged', 'Incident merged in'), ('suspect', 'Change suspected as the cause'), ('comment', 'Comment')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['grade', 'reported_at'], name='incident_grade_reported'),
        ),
    ]

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0013_comments_and_sort_indexes'),
        ('org', '0002_role_assignment_granted_by'),
        ('problems', '0002_problem_refs_to_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='problemevent',
            name='kind',
            field=models.CharField(choices=[('registered', 'Registered'), ('transition', 'State change'), ('edit', 'Details edited'), ('step_added', 'Plan step added'), ('step_done', 'Plan step done'), ('incident_linked', 'Incident linked'), ('known_error', 'Workaround published'), ('escalation', 'Overdue escalation'), ('comment', 'Comment')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['deadline'], name='problem_deadline'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['archived_at'], name='problem_archived'),
        ),
    ]

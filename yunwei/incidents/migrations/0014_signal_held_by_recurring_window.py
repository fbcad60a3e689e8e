import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0007_recurring_window'),
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0013_comments_and_sort_indexes'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='signal',
            name='held_by_window',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='held_signals', to='changes.recurringwindow', verbose_name='held by recurring window'),
        ),
        migrations.AddIndex(
            model_name='signal',
            index=models.Index(condition=models.Q(('held_by_window__isnull', False), ('incident__isnull', True), ('state', 'firing')), fields=['first_at'], name='signal_held_waiting'),
        ),
    ]

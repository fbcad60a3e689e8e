import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0003_list_indexes'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Problem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('origin', models.CharField(choices=[('routine', 'Hidden danger found in routine work'), ('inspection', 'Hidden danger found in an inspection'), ('incident', 'Incident not fixed for good')], default='routine', max_length=20, verbose_name='origin')),
                ('category', models.CharField(blank=True, choices=[('hardware', 'Hardware platform'), ('network', 'Network'), ('base_software', 'Base software'), ('application', 'Application software'), ('machine_room', 'Machine-room environment'), ('security', 'Security'), ('other', 'Other')], max_length=20, verbose_name='category')),
                ('nature', models.CharField(blank=True, choices=[('hidden_danger', 'Hidden danger'), ('unresolved_fault', 'Unresolved fault'), ('recurring_fault', 'Recurring fault'), ('requirement', 'Requirement')], max_length=20, verbose_name='nature')),
                ('priority', models.CharField(choices=[('high', 'High'), ('medium', 'Medium'), ('low', 'Low')], default='medium', max_length=10, verbose_name='priority')),
                ('proposed_solution', models.TextField(blank=True, verbose_name='proposed solution')),
                ('deadline', models.DateField(blank=True, null=True, verbose_name='deadline')),
                ('workaround', models.TextField(blank=True, verbose_name='workaround')),
                ('workaround_published_at', models.DateTimeField(blank=True, null=True, verbose_name='published as a known error')),
                ('solution_summary', models.TextField(blank=True, verbose_name='solution summary')),
                ('state', models.CharField(choices=[('registered', 'Registered'), ('classified', 'Classified'), ('in_progress', 'In progress'), ('solved', 'Solved'), ('archived', 'Archived')], default='registered', max_length=20, verbose_name='state')),
                ('registered_at', models.DateTimeField(verbose_name='registered at')),
                ('classified_at', models.DateTimeField(blank=True, null=True, verbose_name='classified at')),
                ('solved_at', models.DateTimeField(blank=True, null=True, verbose_name='solved at')),
                ('archived_at', models.DateTimeField(blank=True, null=True, verbose_name='archived at')),
                ('owner_alert_at', models.DateTimeField(blank=True, null=True, verbose_name='tell the owner at')),
                ('lead_alert_at', models.DateTimeField(blank=True, null=True, verbose_name='tell the lead at')),
                ('escalation_level', models.PositiveSmallIntegerField(choices=[(0, 'Not escalated'), (1, 'Owner told'), (2, 'System management lead told')], default=0, verbose_name='escalation')),
                ('affected_items', models.ManyToManyField(blank=True, related_name='problems', to='cmdb.item', verbose_name='affected items')),
                ('collaborators', models.ManyToManyField(blank=True, related_name='problem_collaborations', to='org.person', verbose_name='collaborators')),
                ('incidents', models.ManyToManyField(blank=True, related_name='problems', to='incidents.incident', verbose_name='linked incidents')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_problems', to='org.person', verbose_name='owner')),
                ('registered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='registered_problems', to=settings.AUTH_USER_MODEL, verbose_name='registered by')),
                ('source_incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='source_problems', to='incidents.incident', verbose_name='source incident')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='problems', to='org.unit', verbose_name='unit')),
                ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='verified_problems', to=settings.AUTH_USER_MODEL, verbose_name='verified by')),
            ],
            options={
                'verbose_name': 'problem',
                'verbose_name_plural': 'problems',
                'ordering': ['-registered_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ProblemEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('kind', models.CharField(choices=[('registered', 'Registered'), ('transition', 'State change'), ('edit', 'Details edited'), ('step_added', 'Plan step added'), ('step_done', 'Plan step done'), ('incident_linked', 'Incident linked'), ('known_error', 'Workaround published'), ('escalation', 'Overdue escalation')], max_length=20, verbose_name='kind')),
                ('from_state', models.CharField(blank=True, choices=[('registered', 'Registered'), ('classified', 'Classified'), ('in_progress', 'In progress'), ('solved', 'Solved'), ('archived', 'Archived')], max_length=20, verbose_name='from')),
                ('to_state', models.CharField(blank=True, choices=[('registered', 'Registered'), ('classified', 'Classified'), ('in_progress', 'In progress'), ('solved', 'Solved'), ('archived', 'Archived')], max_length=20, verbose_name='to')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='problems.problem', verbose_name='problem')),
            ],
            options={
                'verbose_name': 'problem event',
                'verbose_name_plural': 'problem events',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ProblemStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='position')),
                ('text', models.CharField(max_length=500, verbose_name='step')),
                ('due_on', models.DateField(verbose_name='due on')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='done by')),
                ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='problems.problem', verbose_name='problem')),
            ],
            options={
                'verbose_name': 'work plan step',
                'verbose_name_plural': 'work plan steps',
                'ordering': ['problem', 'position'],
            },
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['unit', 'state'], name='problem_unit_state'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['state', 'deadline'], name='problem_state_deadline'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['escalation_level', 'owner_alert_at'], name='problem_owner_alert'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['escalation_level', 'lead_alert_at'], name='problem_lead_alert'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(fields=['registered_at'], name='problem_registered'),
        ),
        migrations.AddConstraint(
            model_name='problemstep',
            constraint=models.UniqueConstraint(fields=('problem', 'position'), name='problem_step_position_unique'),
        ),
    ]


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0002_role_assignment_granted_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ComplianceRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('nightly', 'Nightly'), ('on_demand', 'On demand')], default='on_demand', max_length=10, verbose_name='kind')),
                ('month', models.CharField(max_length=7, verbose_name='month')),
                ('day', models.DateField(blank=True, null=True, verbose_name='night of')),
                ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='state')),
                ('steps_total', models.PositiveIntegerField(default=0, verbose_name='steps')),
                ('steps_done', models.PositiveIntegerField(default=0, verbose_name='steps done')),
                ('step_name', models.CharField(blank=True, max_length=100, verbose_name='current step')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='queued at')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                ('unit', models.ForeignKey(blank=True, help_text='Empty: every unit.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='compliance_runs', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'compliance run',
                'verbose_name_plural': 'compliance runs',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Exemption',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('reason', models.TextField(verbose_name='reason')),
                ('state', models.CharField(choices=[('requested', 'Requested'), ('approved', 'Approved'), ('refused', 'Refused')], default='requested', max_length=10, verbose_name='state')),
                ('requested_at', models.DateTimeField(verbose_name='requested at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.TextField(blank=True, verbose_name='decision note')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'not-applicable request',
                'verbose_name_plural': 'not-applicable requests',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ExemptionEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('kind', models.CharField(choices=[('requested', 'Requested'), ('transition', 'Decided')], max_length=20, verbose_name='kind')),
                ('from_state', models.CharField(blank=True, choices=[('requested', 'Requested'), ('approved', 'Approved'), ('refused', 'Refused')], max_length=20, verbose_name='from')),
                ('to_state', models.CharField(blank=True, choices=[('requested', 'Requested'), ('approved', 'Approved'), ('refused', 'Refused')], max_length=20, verbose_name='to')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('exemption', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='compliance.exemption', verbose_name='not-applicable request')),
            ],
            options={
                'verbose_name': 'not-applicable event',
                'verbose_name_plural': 'not-applicable events',
                'ordering': ['at', 'id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Result',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.CharField(max_length=7, verbose_name='month')),
                ('article', models.PositiveSmallIntegerField(verbose_name='article')),
                ('duty', models.CharField(max_length=40, verbose_name='duty')),
                ('duty_version', models.PositiveIntegerField(verbose_name='rules version')),
                ('carried_by', models.CharField(choices=[('unit', 'Each unit'), ('group', 'The group, for the units it serves')], max_length=10, verbose_name='carried out by')),
                ('judged', models.CharField(choices=[('met', 'Met'), ('partly_met', 'Partly met'), ('not_met', 'Not met'), ('not_applicable', 'Not applicable')], max_length=20, verbose_name='judged')),
                ('outcome', models.CharField(choices=[('met', 'Met'), ('partly_met', 'Partly met'), ('not_met', 'Not met'), ('not_applicable', 'Not applicable')], max_length=20, verbose_name='outcome')),
                ('checked', models.PositiveIntegerField(default=0, verbose_name='records checked')),
                ('failing', models.PositiveIntegerField(default=0, verbose_name='records at fault')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                ('judged_at', models.DateTimeField(verbose_name='judged at')),
                ('run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='compliance.compliancerun', verbose_name='run')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='compliance', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'compliance result',
                'verbose_name_plural': 'compliance results',
                'ordering': ['month', 'article', 'duty', 'unit_id'],
            },
        ),
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_type', models.CharField(max_length=40, verbose_name='record type')),
                ('object_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='record')),
                ('label', models.CharField(max_length=200, verbose_name='record')),
                ('detail', models.CharField(max_length=300, verbose_name='what is missing')),
                ('result', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='findings', to='compliance.result', verbose_name='result')),
            ],
            options={
                'verbose_name': 'finding',
                'verbose_name_plural': 'findings',
                'ordering': ['result_id', 'id'],
            },
        ),
        migrations.AddField(
            model_name='exemption',
            name='result',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exemptions', to='compliance.result', verbose_name='result'),
        ),
        migrations.AddConstraint(
            model_name='compliancerun',
            constraint=models.UniqueConstraint(fields=('kind', 'day', 'month'), name='compliance_run_nightly_once'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['month', 'article'], name='compliance_result_month'),
        ),
        migrations.AddConstraint(
            model_name='result',
            constraint=models.UniqueConstraint(fields=('unit', 'duty', 'month'), name='compliance_result_once'),
        ),
        migrations.AddConstraint(
            model_name='exemption',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ('requested', 'approved'))), fields=('result',), name='compliance_exemption_live_once'),
        ),
    ]

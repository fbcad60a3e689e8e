import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0004_emergency_refusal_exception'),
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0010_notice_vendor_call_and_assign_event'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='CorrelationSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('fold_window_minutes', models.PositiveIntegerField(default=15, verbose_name='fold window (minutes)')),
                ('suspect_hours', models.PositiveIntegerField(default=24, verbose_name='changes suspected for (hours)')),
            ],
            options={
                'verbose_name': 'correlation settings',
                'verbose_name_plural': 'correlation settings',
            },
        ),
        migrations.AddField(
            model_name='incident',
            name='closed_as',
            field=models.CharField(blank=True, choices=[('false_alarm', 'False alarm'), ('merged', 'Merged into another incident')], max_length=20, verbose_name='closed as'),
        ),
        migrations.AddField(
            model_name='incident',
            name='false_alarm_reason',
            field=models.TextField(blank=True, verbose_name='why it is a false alarm'),
        ),
        migrations.AddField(
            model_name='incident',
            name='follows',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followed_by', to='incidents.incident', verbose_name='follows the closed incident'),
        ),
        migrations.AddField(
            model_name='incident',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged', to='incidents.incident', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='incident',
            name='source',
            field=models.CharField(choices=[('manual', 'Reported by a person'), ('monitoring', 'Opened by monitoring')], default='manual', max_length=20, verbose_name='opened by'),
        ),
        migrations.AddField(
            model_name='incident',
            name='suspected_changes',
            field=models.ManyToManyField(blank=True, related_name='suspected_incidents', to='changes.change', verbose_name='suspected cause'),
        ),
        migrations.AlterField(
            model_name='incident',
            name='state',
            field=models.CharField(choices=[('to_confirm', 'To confirm'), ('reported', 'Reported'), ('acknowledged', 'Acknowledged'), ('diagnosing', 'Diagnosing'), ('repairing', 'Repairing'), ('verifying', 'Verifying'), ('restored', 'Restored'), ('closed', 'Closed')], default='reported', max_length=20, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='incidentevent',
            name='from_state',
            field=models.CharField(blank=True, choices=[('to_confirm', 'To confirm'), ('reported', 'Reported'), ('acknowledged', 'Acknowledged'), ('diagnosing', 'Diagnosing'), ('repairing', 'Repairing'), ('verifying', 'Verifying'), ('restored', 'Restored'), ('closed', 'Closed')], max_length=20, verbose_name='from'),
        ),
        migrations.AlterField(
            model_name='incidentevent',
            name='kind',
            field=models.CharField(choices=[('reported', 'Reported'), ('transition', 'State change'), ('grade', 'Grade changed'), ('grade_proposed', 'Lower grade proposed'), ('grade_refused', 'Proposed grade refused'), ('plan', 'Emergency plan activated'), ('plan_replaced', 'Emergency plan replaced'), ('tick', 'Checklist item ticked'), ('notice', 'Notice sent'), ('escalation', 'Vendor called'), ('arrival', 'Vendor engineer arrived'), ('edit', 'Details edited'), ('sla_breach', 'SLA deadline missed'), ('assign', 'Assigned'), ('signal', 'Monitoring signal folded in'), ('merged', 'Incident merged in'), ('suspect', 'Change suspected as the cause')], max_length=20, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='incidentevent',
            name='to_state',
            field=models.CharField(blank=True, choices=[('to_confirm', 'To confirm'), ('reported', 'Reported'), ('acknowledged', 'Acknowledged'), ('diagnosing', 'Diagnosing'), ('repairing', 'Repairing'), ('verifying', 'Verifying'), ('restored', 'Restored'), ('closed', 'Closed')], max_length=20, verbose_name='to'),
        ),
        migrations.CreateModel(
            name='Signal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('check', 'Check'), ('alert', 'Alert')], max_length=10, verbose_name='source')),
                ('key', models.CharField(max_length=200, verbose_name='key')),
                ('summary', models.CharField(blank=True, max_length=500, verbose_name='summary')),
                ('state', models.CharField(choices=[('firing', 'Firing'), ('resolved', 'Resolved')], default='firing', max_length=10, verbose_name='state')),
                ('first_at', models.DateTimeField(verbose_name='first seen')),
                ('last_at', models.DateTimeField(verbose_name='last seen')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                ('repeats', models.PositiveIntegerField(default=0, verbose_name='repeats')),
                ('stale', models.BooleanField(default=False, verbose_name='stale')),
                ('folded_under', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='folded', to='incidents.signal', verbose_name='folded under')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signals', to='incidents.incident', verbose_name='incident')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signals', to='cmdb.item', verbose_name='item')),
                ('suppressed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='suppressed_signals', to='changes.change', verbose_name='suppressed by change')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signals', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'signal',
                'verbose_name_plural': 'signals',
                'ordering': ['-first_at', '-id'],
                'indexes': [models.Index(fields=['item', 'state'], name='signal_item_state'), models.Index(fields=['incident', 'first_at'], name='signal_incident'), models.Index(condition=models.Q(('incident__isnull', True), ('state', 'firing'), ('suppressed_by__isnull', False)), fields=['first_at'], name='signal_suppressed_waiting')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'firing')), fields=('source', 'key'), name='signal_one_firing_per_key')],
            },
        ),
    ]

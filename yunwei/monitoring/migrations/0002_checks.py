import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('monitoring', '0001_heartbeats'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='Check',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('kind', models.CharField(choices=[('http', 'HTTP(S)'), ('tcp', 'TCP port'), ('icmp', 'ICMP ping'), ('dns', 'DNS record'), ('postgresql', 'PostgreSQL log-in'), ('mysql', 'MySQL/MariaDB log-in'), ('snmp', 'SNMP OID')], max_length=12, verbose_name='kind')),
                ('spec', models.JSONField(blank=True, default=dict, verbose_name='probe settings')),
                ('interval', models.PositiveIntegerField(default=60, verbose_name='interval (seconds)')),
                ('retry_interval', models.PositiveIntegerField(default=20, verbose_name='retry interval (seconds)')),
                ('fail_after', models.PositiveSmallIntegerField(default=3, verbose_name='failures before down')),
                ('recover_after', models.PositiveSmallIntegerField(default=2, verbose_name='successes before up')),
                ('is_reference', models.BooleanField(default=False, verbose_name='reference of the probe')),
                ('damping', models.JSONField(blank=True, default=dict, editable=False, verbose_name='damping state')),
                ('state', models.CharField(choices=[('new', 'New'), ('up', 'Up'), ('down', 'Down'), ('unknown', 'Unknown')], default='new', editable=False, max_length=10, verbose_name='state')),
                ('state_reason', models.CharField(blank=True, editable=False, max_length=500, verbose_name='reason')),
                ('last_run_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last run')),
                ('next_run_at', models.DateTimeField(blank=True, db_index=True, editable=False, null=True, verbose_name='next run')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checks', to='cmdb.item', verbose_name='inventory item')),
                ('reference', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='dependents', to='monitoring.check', verbose_name='depends on reference')),
                ('unit', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='checks', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'check',
                'verbose_name_plural': 'checks',
                'ordering': ['unit_id', 'name'],
            },
        ),
        migrations.CreateModel(
            name='CheckResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(verbose_name='run at')),
                ('status', models.CharField(choices=[('up', 'Up'), ('down', 'Down'), ('unknown', 'Unknown')], max_length=10, verbose_name='status')),
                ('latency_ms', models.FloatField(blank=True, null=True, verbose_name='latency (ms)')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('method', models.CharField(blank=True, max_length=30, verbose_name='method')),
                ('active_check', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='monitoring.check', verbose_name='check')),
            ],
            options={
                'verbose_name': 'check result',
                'verbose_name_plural': 'check results',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['active_check', 'at'], name='monitoring_result_check_at')],
            },
        ),
    ]

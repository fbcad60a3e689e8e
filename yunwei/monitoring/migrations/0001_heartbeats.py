import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='ping UUID')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('kind', models.CharField(choices=[('cron', 'Cron job'), ('backup', 'Backup job')], default='cron', max_length=10, verbose_name='kind')),
                ('schedule_kind', models.CharField(choices=[('period', 'Period and grace'), ('cron', 'Cron expression')], default='period', max_length=10, verbose_name='schedule')),
                ('period', models.PositiveIntegerField(default=86400, verbose_name='period (seconds)')),
                ('grace', models.PositiveIntegerField(default=3600, verbose_name='grace (seconds)')),
                ('cron_expression', models.CharField(blank=True, max_length=100, verbose_name='cron expression')),
                ('tz', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='time zone')),
                ('min_run_time', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum run time (seconds)')),
                ('min_size', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='minimum size (bytes)')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('state', models.CharField(choices=[('new', 'New'), ('up', 'Up'), ('late', 'Late'), ('down', 'Down')], default='new', editable=False, max_length=10, verbose_name='state')),
                ('last_ping_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last ping')),
                ('last_start_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last start')),
                ('next_due_at', models.DateTimeField(blank=True, db_index=True, editable=False, null=True, verbose_name='next due')),
                ('alert_after', models.DateTimeField(blank=True, db_index=True, editable=False, null=True, verbose_name='down after')),
                ('item', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='heartbeats', to='cmdb.item', verbose_name='inventory item')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='heartbeats', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'heartbeat',
                'verbose_name_plural': 'heartbeats',
                'ordering': ['unit_id', 'name'],
            },
        ),
        migrations.CreateModel(
            name='HeartbeatRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('start', 'Start'), ('success', 'Success'), ('fail', 'Failure'), ('exit_code', 'Exit code'), ('log', 'Log')], max_length=10, verbose_name='kind')),
                ('received_at', models.DateTimeField(db_index=True, verbose_name='happened at')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('run_time', models.DurationField(blank=True, null=True, verbose_name='run time')),
                ('succeeded', models.BooleanField(blank=True, null=True, verbose_name='succeeded')),
                ('exit_status', models.SmallIntegerField(blank=True, null=True, verbose_name='exit status')),
                ('size', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='size (bytes)')),
                ('body', models.TextField(blank=True, verbose_name='log')),
                ('truncated', models.BooleanField(default=False, verbose_name='truncated')),
                ('remote_addr', models.GenericIPAddressField(blank=True, null=True, verbose_name='remote address')),
                ('user_agent', models.CharField(blank=True, max_length=200, verbose_name='user agent')),
                ('trusted', models.BooleanField(default=True, verbose_name='trusted')),
                ('distrust', models.CharField(blank=True, choices=[('too_fast', 'Faster than its minimum run time'), ('no_run_time', 'No start ping: run time unknown'), ('too_small', 'Smaller than its minimum size'), ('no_size', 'No size reported')], max_length=20, verbose_name='not trusted because')),
                ('heartbeat', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='monitoring.heartbeat', verbose_name='heartbeat')),
            ],
            options={
                'verbose_name': 'heartbeat run',
                'verbose_name_plural': 'heartbeat runs',
                'ordering': ['-received_at', '-id'],
                'indexes': [models.Index(fields=['heartbeat', '-received_at'], name='monitoring_run_hb_at')],
            },
        ),
    ]

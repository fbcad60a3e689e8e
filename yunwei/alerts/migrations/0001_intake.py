import django.db.models.deletion
import yunwei.alerts.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('incidents', '0010_notice_vendor_call_and_assign_event'),
        ('org', '0002_role_assignment_granted_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Alert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fingerprint', models.CharField(max_length=64, verbose_name='fingerprint')),
                ('name', models.CharField(max_length=300, verbose_name='name')),
                ('severity', models.CharField(blank=True, max_length=50, verbose_name='severity')),
                ('labels', models.JSONField(default=dict, verbose_name='labels')),
                ('annotations', models.JSONField(blank=True, default=dict, verbose_name='annotations')),
                ('status', models.CharField(choices=[('firing', 'Firing'), ('resolved', 'Resolved'), ('stale', 'Stale')], max_length=10, verbose_name='status')),
                ('starts_at', models.DateTimeField(blank=True, null=True, verbose_name='starts at')),
                ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='ends at')),
                ('first_seen_at', models.DateTimeField(verbose_name='first seen')),
                ('last_seen_at', models.DateTimeField(verbose_name='last seen')),
                ('repeat_count', models.PositiveIntegerField(default=0, verbose_name='repeats')),
                ('stale_after', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='stale after')),
                ('match', models.CharField(choices=[('matched', 'Matched'), ('manual', 'Mapped by hand'), ('unmatched', 'No item'), ('ambiguous', 'Several items')], max_length=10, verbose_name='mapping')),
                ('match_label', models.CharField(blank=True, max_length=100, verbose_name='mapped by label')),
                ('match_value', models.CharField(blank=True, max_length=500, verbose_name='label value')),
                ('source_url', models.CharField(blank=True, max_length=1000, verbose_name='source link')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alerts', to='incidents.incident', verbose_name='incident')),
                ('item', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alerts', to='cmdb.item', verbose_name='inventory item')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'alert',
                'verbose_name_plural': 'alerts',
                'ordering': ['-last_seen_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AlertEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('kind', models.CharField(choices=[('fired', 'Fired'), ('resolved', 'Resolved'), ('stale', 'Went stale'), ('mapped', 'Mapped by hand'), ('recovery_only', 'Recovery without a problem before it')], max_length=20, verbose_name='kind')),
                ('from_state', models.CharField(blank=True, choices=[('firing', 'Firing'), ('resolved', 'Resolved'), ('stale', 'Stale')], max_length=20, verbose_name='from')),
                ('to_state', models.CharField(blank=True, choices=[('firing', 'Firing'), ('resolved', 'Resolved'), ('stale', 'Stale')], max_length=20, verbose_name='to')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('alert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='alerts.alert', verbose_name='alert')),
            ],
            options={
                'verbose_name': 'alert event',
                'verbose_name_plural': 'alert events',
                'ordering': ['at', 'id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Integration',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('kind', models.CharField(choices=[('alertmanager', 'Prometheus Alertmanager'), ('zabbix', 'Zabbix'), ('generic', 'Generic JSON')], max_length=20, verbose_name='kind')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('token_hint', models.CharField(editable=False, max_length=8, verbose_name='token ends with')),
                ('hmac_secret', models.CharField(blank=True, max_length=200, verbose_name='HMAC secret')),
                ('signature_required', models.BooleanField(default=False, verbose_name='signature required')),
                ('signature_window', models.PositiveIntegerField(default=300, verbose_name='signature time window (seconds)')),
                ('replica_labels', models.JSONField(blank=True, default=yunwei.alerts.models.default_replica_labels, verbose_name='replica labels to drop')),
                ('repeat_interval', models.PositiveIntegerField(default=86400, verbose_name='repeat interval (seconds)')),
                ('stale_factor', models.PositiveSmallIntegerField(default=2, verbose_name='stale after (× repeat interval)')),
                ('watchdog_alert', models.CharField(blank=True, default='Watchdog', help_text='An always-firing alert that proves the source is alive; empty: none expected.', max_length=200, verbose_name='watchdog alert name')),
                ('expect_watchdog', models.BooleanField(default=False, verbose_name='expect the watchdog')),
                ('min_payloads', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum payloads per quiet period')),
                ('quiet_after', models.PositiveIntegerField(default=900, verbose_name='silent after (seconds)')),
                ('payload_retention_days', models.PositiveIntegerField(default=30, verbose_name='keep raw payloads (days)')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('state', models.CharField(choices=[('receiving', 'Receiving'), ('silent', 'Silent')], default='receiving', editable=False, max_length=10, verbose_name='state')),
                ('silent_since', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='silent since')),
                ('last_payload_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last payload')),
                ('last_watchdog_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last watchdog')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alert_integrations', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'alert integration',
                'verbose_name_plural': 'alert integrations',
                'ordering': ['unit_id', 'name'],
            },
        ),
        migrations.AddField(
            model_name='alert',
            name='integration',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='alerts.integration', verbose_name='integration'),
        ),
        migrations.CreateModel(
            name='LabelMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=100)),
                ('value', models.CharField(max_length=500)),
                ('integration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='label_mappings', to='alerts.integration')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cmdb.item')),
            ],
        ),
        migrations.CreateModel(
            name='MappingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('position', models.PositiveSmallIntegerField(default=1, verbose_name='position')),
                ('label', models.CharField(max_length=100, verbose_name='label')),
                ('field', models.CharField(choices=[('code', 'Item code'), ('hostname', 'Hostname'), ('ip', 'IP address'), ('instance', 'Host part of instance (hostname or IP)')], max_length=10, verbose_name='item field')),
                ('integration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='alerts.integration', verbose_name='integration')),
            ],
            options={
                'verbose_name': 'mapping rule',
                'verbose_name_plural': 'mapping rules',
                'ordering': ['integration_id', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Payload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received_at', models.DateTimeField(verbose_name='received at')),
                ('body', models.TextField(verbose_name='body')),
                ('content_type', models.CharField(blank=True, max_length=100, verbose_name='content type')),
                ('remote_addr', models.GenericIPAddressField(blank=True, null=True, verbose_name='remote address')),
                ('alert_count', models.PositiveIntegerField(default=0, verbose_name='alerts')),
                ('outcome', models.JSONField(blank=True, default=list, verbose_name='mapping')),
                ('integration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='payloads', to='alerts.integration', verbose_name='integration')),
            ],
            options={
                'verbose_name': 'alert payload',
                'verbose_name_plural': 'alert payloads',
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SeenSignature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('signature', models.CharField(max_length=64)),
                ('expires_at', models.DateTimeField(db_index=True)),
                ('integration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='alerts.integration')),
            ],
        ),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['unit', 'status'], name='alerts_alert_unit_status'),
        ),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['integration', 'match'], name='alerts_alert_int_match'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.UniqueConstraint(fields=('integration', 'fingerprint'), name='alerts_alert_identity'),
        ),
        migrations.AddConstraint(
            model_name='labelmapping',
            constraint=models.UniqueConstraint(fields=('integration', 'label', 'value'), name='alerts_label_mapping_once'),
        ),
        migrations.AddIndex(
            model_name='payload',
            index=models.Index(fields=['integration', 'received_at'], name='alerts_payload_int_at'),
        ),
        migrations.AddConstraint(
            model_name='seensignature',
            constraint=models.UniqueConstraint(fields=('integration', 'signature'), name='alerts_signature_once'),
        ),
    ]

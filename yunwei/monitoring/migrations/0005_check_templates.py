import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('monitoring', '0004_check_runner_events'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='CheckTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=150, verbose_name='name')),
                ('kind', models.CharField(choices=[('http', 'HTTP(S)'), ('tcp', 'TCP port'), ('icmp', 'ICMP ping'), ('dns', 'DNS record'), ('postgresql', 'PostgreSQL log-in'), ('mysql', 'MySQL/MariaDB log-in'), ('snmp', 'SNMP OID')], max_length=12, verbose_name='kind')),
                ('spec', models.JSONField(blank=True, default=dict, verbose_name='probe settings')),
                ('interval', models.PositiveIntegerField(default=60, verbose_name='interval (seconds)')),
                ('retry_interval', models.PositiveIntegerField(default=20, verbose_name='retry interval (seconds)')),
                ('fail_after', models.PositiveSmallIntegerField(default=3, verbose_name='failures before down')),
                ('recover_after', models.PositiveSmallIntegerField(default=2, verbose_name='successes before up')),
                ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('item_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='check_templates', to='cmdb.itemtype', verbose_name='item type')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='check_templates', to='org.unit', verbose_name='owner unit')),
            ],
            options={
                'verbose_name': 'check template',
                'verbose_name_plural': 'check templates',
                'ordering': ['unit_id', 'item_type_id', 'name'],
            },
        ),
        migrations.AddField(
            model_name='check',
            name='template',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='checks', to='monitoring.checktemplate', verbose_name='template'),
        ),
    ]

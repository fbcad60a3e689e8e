import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
            options={
                'verbose_name': 'audit chain head',
                'verbose_name_plural': 'audit chain head',
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(unique=True, verbose_name='number')),
                ('at', models.DateTimeField(verbose_name='time')),
                ('actor_name', models.CharField(max_length=150, verbose_name='actor name')),
                ('action', models.CharField(choices=[('create', 'Create'), ('update', 'Update'), ('delete', 'Delete'), ('transition', 'State change'), ('unmask', 'Personal data viewed'), ('login', 'Log-in'), ('login_failed', 'Failed log-in'), ('logout', 'Log-out'), ('token_issued', 'API token issued'), ('token_revoked', 'API token revoked'), ('account_disabled', 'Account disabled')], max_length=32, verbose_name='action')),
                ('object_type', models.CharField(blank=True, max_length=100, verbose_name='object type')),
                ('object_id', models.CharField(blank=True, max_length=64, verbose_name='object ID')),
                ('object_repr', models.CharField(blank=True, max_length=200, verbose_name='object')),
                ('unit_id', models.BigIntegerField(blank=True, null=True, verbose_name='unit ID')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='before')),
                ('after', models.JSONField(blank=True, null=True, verbose_name='after')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('prev_hash', models.CharField(max_length=64, verbose_name='previous hash')),
                ('hash', models.CharField(max_length=64, verbose_name='hash')),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit events',
                'ordering': ['-seq'],
                'indexes': [models.Index(fields=['at'], name='audit_event_at'), models.Index(fields=['object_type', 'object_id'], name='audit_event_object'), models.Index(fields=['unit_id'], name='audit_event_unit')],
            },
        ),
    ]

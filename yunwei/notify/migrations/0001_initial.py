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
            name='AllowedAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value', models.CharField(max_length=255, unique=True, verbose_name='host, address or CIDR')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'allowed address',
                'verbose_name_plural': 'allowed addresses',
                'ordering': ['value'],
            },
        ),
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_key', models.CharField(max_length=200, unique=True, verbose_name='event key')),
                ('unit_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='unit')),
                ('subject_zh', models.CharField(max_length=300, verbose_name='subject (Chinese)')),
                ('subject_en', models.CharField(blank=True, max_length=300, verbose_name='subject (English)')),
                ('body_zh', models.TextField(blank=True, verbose_name='body (Chinese)')),
                ('body_en', models.TextField(blank=True, verbose_name='body (English)')),
                ('urgent', models.BooleanField(default=False, verbose_name='urgent')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'notice',
                'verbose_name_plural': 'notices',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Channel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('unit_id', models.BigIntegerField(db_index=True, verbose_name='unit')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('kind', models.CharField(choices=[('email', 'E-mail (SMTP)'), ('wecom', 'WeCom robot'), ('dingtalk', 'DingTalk robot'), ('feishu', 'Feishu robot'), ('webhook', 'Webhook (JSON, HMAC-signed)')], max_length=16, verbose_name='kind')),
                ('target', models.JSONField(blank=True, default=dict, verbose_name='target')),
                ('secret', models.CharField(blank=True, max_length=200, verbose_name='secret')),
                ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
            ],
            options={
                'verbose_name': 'channel',
                'verbose_name_plural': 'channels',
                'ordering': ['unit_id', 'name'],
                'constraints': [models.UniqueConstraint(fields=('unit_id', 'name'), name='notify_channel_unique_name')],
            },
        ),
        migrations.CreateModel(
            name='Preference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channels', models.JSONField(blank=True, default=list, verbose_name='channels')),
                ('quiet_start', models.TimeField(blank=True, null=True, verbose_name='quiet hours start')),
                ('quiet_end', models.TimeField(blank=True, null=True, verbose_name='quiet hours end')),
                ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], default='zh-hans', max_length=8, verbose_name='language')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notify_preference', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'notification preference',
                'verbose_name_plural': 'notification preferences',
            },
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_key', models.CharField(max_length=200, verbose_name='event key')),
                ('unit_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='unit')),
                ('recipient_kind', models.CharField(choices=[('email', 'E-mail address'), ('channel', 'Channel')], max_length=16, verbose_name='recipient kind')),
                ('recipient', models.CharField(max_length=254, verbose_name='recipient')),
                ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], default='zh-hans', max_length=8, verbose_name='language')),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('merged', 'Merged into a digest')], default='pending', max_length=16, verbose_name='state')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.CharField(blank=True, max_length=500, verbose_name='last error')),
                ('next_attempt_at', models.DateTimeField(db_index=True, verbose_name='next attempt at')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('channel', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to='notify.channel')),
                ('digest', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merged_deliveries', to='notify.delivery')),
                ('notice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notify.notice')),
            ],
            options={
                'verbose_name': 'delivery',
                'verbose_name_plural': 'deliveries',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['channel', 'state', 'sent_at'], name='notify_delivery_rate'), models.Index(fields=['state', 'next_attempt_at'], name='notify_delivery_due')],
                'constraints': [models.UniqueConstraint(fields=('event_key', 'recipient_kind', 'recipient'), name='notify_delivery_once')],
            },
        ),
    ]

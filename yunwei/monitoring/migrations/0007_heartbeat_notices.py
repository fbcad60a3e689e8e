import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0006_indicators'),
    ]

    operations = [
        migrations.CreateModel(
            name='HeartbeatNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('new', 'New'), ('up', 'Up'), ('late', 'Late'), ('down', 'Down')], max_length=10, verbose_name='state')),
                ('at', models.DateTimeField(verbose_name='changed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                ('told_at', models.DateTimeField(blank=True, null=True, verbose_name='told at')),
                ('heartbeat', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='monitoring.heartbeat', verbose_name='heartbeat')),
            ],
            options={
                'verbose_name': 'heartbeat notice',
                'verbose_name_plural': 'heartbeat notices',
                'indexes': [models.Index(condition=models.Q(('told_at__isnull', True)), fields=['created_at'], name='monitoring_notice_untold')],
            },
        ),
    ]

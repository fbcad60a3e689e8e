import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0002_checks'),
    ]

    operations = [
        migrations.CreateModel(
            name='CheckRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(choices=[('hour', 'Hour'), ('day', 'Day')], max_length=4, verbose_name='period')),
                ('start', models.DateTimeField(verbose_name='start')),
                ('up_seconds', models.FloatField(default=0, verbose_name='up (s)')),
                ('down_seconds', models.FloatField(default=0, verbose_name='down (s)')),
                ('unknown_seconds', models.FloatField(default=0, verbose_name='unknown (s)')),
                ('maintenance_seconds', models.FloatField(default=0, verbose_name='maintenance (s)')),
                ('no_data_seconds', models.FloatField(default=0, verbose_name='no data (s)')),
                ('runs', models.PositiveIntegerField(default=0, verbose_name='runs')),
                ('latency_count', models.PositiveIntegerField(default=0, verbose_name='latency samples')),
                ('latency_sum_ms', models.FloatField(default=0, verbose_name='latency sum (ms)')),
                ('latency_max_ms', models.FloatField(blank=True, null=True, verbose_name='latency max (ms)')),
                ('active_check', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rollups', to='monitoring.check', verbose_name='check')),
            ],
            options={
                'verbose_name': 'check roll-up',
                'verbose_name_plural': 'check roll-ups',
                'ordering': ['active_check_id', 'period', 'start'],
                'indexes': [models.Index(fields=['period', 'start'], name='monitoring_rollup_period')],
                'constraints': [models.UniqueConstraint(fields=('active_check', 'period', 'start'), name='monitoring_rollup_unique_slot')],
            },
        ),
    ]

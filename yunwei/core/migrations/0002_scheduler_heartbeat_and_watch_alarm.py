from django.db import migrations, models


def create_alarms(apps, schema_editor):
    """One watch alarm per watched part (the scheduler, the workers), neither late."""
    WatchAlarm = apps.get_model("core", "WatchAlarm")
    for part in ("scheduler", "worker"):
        WatchAlarm.objects.get_or_create(part=part)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_worker_heartbeat'),
    ]

    operations = [
        migrations.CreateModel(
            name='SchedulerHeartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hostname', models.CharField(max_length=255, verbose_name='hostname')),
                ('pid', models.PositiveIntegerField(verbose_name='process id')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
            ],
            options={
                'verbose_name': 'scheduler heartbeat',
                'verbose_name_plural': 'scheduler heartbeats',
                'ordering': ['-at'],
            },
        ),
        migrations.CreateModel(
            name='WatchAlarm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('part', models.CharField(choices=[('scheduler', 'scheduler'), ('worker', 'worker')], max_length=20, unique=True, verbose_name='part')),
                ('down_since', models.DateTimeField(blank=True, null=True, verbose_name='late since')),
            ],
            options={
                'verbose_name': 'watch alarm',
                'verbose_name_plural': 'watch alarms',
            },
        ),
        migrations.RunPython(create_alarms, migrations.RunPython.noop),
    ]

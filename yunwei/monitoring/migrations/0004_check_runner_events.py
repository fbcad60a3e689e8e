import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0003_rollups'),
    ]

    operations = [
        migrations.CreateModel(
            name='CheckEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(verbose_name='happened at')),
                ('kind', models.CharField(choices=[('down', 'Down'), ('up', 'Up again'), ('unknown', 'Unknown'), ('known', 'Judged again'), ('flapping_started', 'Flapping started'), ('flapping_stopped', 'Flapping stopped')], max_length=20, verbose_name='event')),
                ('state', models.CharField(choices=[('new', 'New'), ('up', 'Up'), ('down', 'Down'), ('unknown', 'Unknown')], max_length=10, verbose_name='state')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
            ],
            options={
                'verbose_name': 'check event',
                'verbose_name_plural': 'check events',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='check',
            name='flap_threshold',
            field=models.PositiveSmallIntegerField(blank=True, default=6, null=True, verbose_name='flapping threshold (changes)'),
        ),
        migrations.AddField(
            model_name='check',
            name='flap_window',
            field=models.PositiveIntegerField(blank=True, default=3600, null=True, verbose_name='flapping window (seconds)'),
        ),
        migrations.AddField(
            model_name='check',
            name='window',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='failure window (seconds)'),
        ),
        migrations.AddField(
            model_name='check',
            name='window_failures',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='failures within the window'),
        ),
        migrations.AddField(
            model_name='checkresult',
            name='slot',
            field=models.DateTimeField(blank=True, null=True, verbose_name='slot'),
        ),
        migrations.AddConstraint(
            model_name='checkresult',
            constraint=models.UniqueConstraint(fields=('active_check', 'slot'), name='monitoring_result_one_per_slot'),
        ),
        migrations.AddField(
            model_name='checkevent',
            name='active_check',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='monitoring.check', verbose_name='check'),
        ),
        migrations.AddIndex(
            model_name='checkevent',
            index=models.Index(fields=['active_check', '-at'], name='monitoring_event_check_at'),
        ),
    ]

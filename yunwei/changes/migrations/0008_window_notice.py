import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0007_recurring_window'),
    ]

    operations = [
        migrations.CreateModel(
            name='WindowNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_key', models.CharField(max_length=40, verbose_name='window')),
                ('occurrence_start', models.DateTimeField(verbose_name='occurrence start')),
                ('occurrence_end', models.DateTimeField(verbose_name='occurrence end')),
                ('edge', models.CharField(choices=[('start', 'start'), ('end', 'end')], max_length=8, verbose_name='edge')),
                ('told_at', models.DateTimeField(verbose_name='told at')),
                ('late', models.BooleanField(default=False, verbose_name='told late')),
                ('event_keys', models.JSONField(blank=True, default=list, verbose_name='notices')),
                ('change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='changes.change', verbose_name='change')),
                ('recurring', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='changes.recurringwindow', verbose_name='recurring maintenance window')),
            ],
            options={
                'verbose_name': 'window notice',
                'verbose_name_plural': 'window notices',
                'ordering': ['-told_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('window_key', 'occurrence_start', 'edge'), name='change_window_notice_once')],
            },
        ),
    ]

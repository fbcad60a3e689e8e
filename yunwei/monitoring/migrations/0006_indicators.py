import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('monitoring', '0005_check_templates'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='checkresult',
            name='cert_days_left',
            field=models.FloatField(blank=True, null=True, verbose_name='certificate days left'),
        ),
        migrations.AddField(
            model_name='checkrollup',
            name='cert_days_min',
            field=models.FloatField(blank=True, null=True, verbose_name='least certificate days left'),
        ),
        migrations.CreateModel(
            name='Indicator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('availability_target', models.DecimalField(blank=True, decimal_places=3, max_digits=6, null=True, verbose_name='availability target (%)')),
                ('latency_target_ms', models.PositiveIntegerField(blank=True, null=True, verbose_name='latency target (ms)')),
                ('cert_days_target', models.PositiveIntegerField(blank=True, null=True, verbose_name='certificate days left at least')),
                ('backup_age_target_hours', models.PositiveIntegerField(blank=True, null=True, verbose_name='backup age at most (hours)')),
                ('backup_success_target', models.DecimalField(blank=True, decimal_places=3, max_digits=6, null=True, verbose_name='backup success rate target (%)')),
                ('checks', models.ManyToManyField(blank=True, help_text='None chosen: every check of the item counts.', related_name='indicators', to='monitoring.check', verbose_name='checks counted')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='cmdb.item', verbose_name='inventory item')),
                ('unit', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'indicator',
                'verbose_name_plural': 'indicators',
                'ordering': ['unit_id', 'name'],
            },
        ),
        migrations.CreateModel(
            name='IndicatorBreach',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('figure', models.CharField(choices=[('availability', 'Availability'), ('latency', 'Mean latency'), ('cert_days', 'Certificate days left'), ('backup_age', 'Backup age'), ('backup_success', 'Backup success rate')], max_length=20, verbose_name='figure')),
                ('day', models.DateField(verbose_name='day')),
                ('target', models.FloatField(verbose_name='target')),
                ('actual', models.FloatField(verbose_name='actual')),
                ('detected_at', models.DateTimeField(auto_now_add=True, verbose_name='detected at')),
                ('indicator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='breaches', to='monitoring.indicator', verbose_name='indicator')),
            ],
            options={
                'verbose_name': 'indicator breach',
                'verbose_name_plural': 'indicator breaches',
                'ordering': ['-day', 'indicator_id', 'figure'],
                'indexes': [models.Index(fields=['day'], name='monitoring_breach_day')],
                'constraints': [models.UniqueConstraint(fields=('indicator', 'figure', 'day'), name='monitoring_breach_once_a_day')],
            },
        ),
    ]

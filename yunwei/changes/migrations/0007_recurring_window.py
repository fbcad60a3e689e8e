import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0006_approval_on_behalf_of'),
        ('cmdb', '0003_impact_walk_index'),
        ('org', '0002_role_assignment_granted_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RecurringWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=150, verbose_name='name')),
                ('weekdays', models.JSONField(default=list, verbose_name='weekdays')),
                ('start_time', models.TimeField(verbose_name='local start time')),
                ('duration_minutes', models.PositiveIntegerField(verbose_name='duration (minutes)')),
                ('time_zone', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='time zone')),
                ('starts_on', models.DateField(verbose_name='first day')),
                ('ends_on', models.DateField(blank=True, null=True, verbose_name='last day')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='declared by')),
                ('items', models.ManyToManyField(related_name='recurring_windows', to='cmdb.item', verbose_name='items')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'recurring maintenance window',
                'verbose_name_plural': 'recurring maintenance windows',
                'ordering': ['unit', 'name', 'id'],
            },
        ),
    ]

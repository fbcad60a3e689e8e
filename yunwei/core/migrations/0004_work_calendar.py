
import datetime
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_saved_filters'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkCalendar',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('morning_start', models.TimeField(default=datetime.time(8, 30), verbose_name='morning starts')),
                ('morning_end', models.TimeField(default=datetime.time(12, 0), verbose_name='lunch break starts')),
                ('afternoon_start', models.TimeField(default=datetime.time(13, 30), verbose_name='lunch break ends')),
                ('afternoon_end', models.TimeField(default=datetime.time(17, 30), verbose_name='afternoon ends')),
                ('weekdays', models.JSONField(default=list, verbose_name='working weekdays')),
                ('unit', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='work_calendar', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'working calendar',
                'verbose_name_plural': 'working calendars',
            },
        ),
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='date')),
                ('is_working', models.BooleanField(verbose_name='working day')),
                ('name', models.CharField(blank=True, max_length=60, verbose_name='name')),
                ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='core.workcalendar', verbose_name='calendar')),
            ],
            options={
                'verbose_name': 'calendar day',
                'verbose_name_plural': 'calendar days',
                'ordering': ['date'],
                'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='calendar_day_once')],
            },
        ),
    ]

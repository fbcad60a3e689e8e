
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_delegation'),
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='DirectoryAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dn', models.CharField(max_length=500, verbose_name='DN')),
                ('groups', models.JSONField(default=list, verbose_name='directory groups')),
                ('granted', models.JSONField(default=list)),
                ('synced_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='synchronised at')),
                ('disabled_at', models.DateTimeField(blank=True, null=True, verbose_name='disabled by the directory at')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='directory', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'directory account',
                'verbose_name_plural': 'directory accounts',
            },
        ),
        migrations.CreateModel(
            name='DirectoryRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group_dn', models.CharField(max_length=500, verbose_name='directory group (DN)')),
                ('role', models.CharField(choices=[('leader', 'Leader in charge'), ('system_lead', 'System management lead'), ('tech_staff', 'System technical staff'), ('group_admin', 'Group system admin'), ('unit_admin', 'Unit system admin'), ('clerk', 'Clerk'), ('user', 'User')], max_length=20, verbose_name='role')),
                ('order', models.PositiveIntegerField(default=100, verbose_name='order')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='written by')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'directory rule',
                'verbose_name_plural': 'directory rules',
                'ordering': ['order', 'id'],
                'constraints': [models.UniqueConstraint(fields=('group_dn', 'unit', 'role'), name='directory_rule_once')],
            },
        ),
    ]

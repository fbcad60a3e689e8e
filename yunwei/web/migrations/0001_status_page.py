import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0002_role_assignment_granted_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='StatusPage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('enabled', models.BooleanField(default=False, verbose_name='public status page on')),
                ('unit', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='status_page', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'status page',
                'verbose_name_plural': 'status pages',
            },
        ),
    ]

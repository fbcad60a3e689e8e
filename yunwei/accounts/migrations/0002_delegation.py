
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Delegation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_at', models.DateTimeField(verbose_name='from')),
                ('ends_at', models.DateTimeField(verbose_name='until')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='ended at')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='named by')),
                ('deputy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='delegations_held', to=settings.AUTH_USER_MODEL, verbose_name='deputy')),
                ('principal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='delegations_given', to=settings.AUTH_USER_MODEL, verbose_name='approver')),
            ],
            options={
                'verbose_name': 'delegation',
                'verbose_name_plural': 'delegations',
                'ordering': ['-starts_at', '-id'],
                'indexes': [models.Index(fields=['deputy', 'starts_at', 'ends_at'], name='accounts_delegation_deputy')],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='delegation_span'), models.CheckConstraint(condition=models.Q(('principal', models.F('deputy')), _negated=True), name='delegation_not_oneself')],
            },
        ),
    ]

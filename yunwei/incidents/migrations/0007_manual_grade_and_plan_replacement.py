import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0006_plan_revisions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='grade_set_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='grade set by hand at'),
        ),
        migrations.AddField(
            model_name='incident',
            name='proposed_grade',
            field=models.CharField(blank=True, choices=[('I', 'Grade Ⅰ'), ('II', 'Grade Ⅱ'), ('III', 'Grade Ⅲ')], max_length=3, verbose_name='proposed grade'),
        ),
        migrations.AddField(
            model_name='incident',
            name='proposed_grade_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='grade proposed by'),
        ),
        migrations.AddField(
            model_name='incident',
            name='proposed_grade_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='reason for the proposed grade'),
        ),
        migrations.AlterField(
            model_name='incidentevent',
            name='kind',
            field=models.CharField(choices=[('reported', 'Reported'), ('transition', 'State change'), ('grade', 'Grade changed'), ('grade_proposed', 'Lower grade proposed'), ('grade_refused', 'Proposed grade refused'), ('plan', 'Emergency plan activated'), ('plan_replaced', 'Emergency plan replaced'), ('tick', 'Checklist item ticked'), ('notice', 'Notice sent'), ('escalation', 'Vendor called'), ('arrival', 'Vendor engineer arrived'), ('edit', 'Details edited'), ('sla_breach', 'SLA deadline missed')], max_length=20, verbose_name='kind'),
        ),
    ]

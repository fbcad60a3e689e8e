from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0009_remove_problem_ref'),
    ]

    operations = [
        migrations.AlterField(
            model_name='incidentevent',
            name='kind',
            field=models.CharField(choices=[('reported', 'Reported'), ('transition', 'State change'), ('grade', 'Grade changed'), ('grade_proposed', 'Lower grade proposed'), ('grade_refused', 'Proposed grade refused'), ('plan', 'Emergency plan activated'), ('plan_replaced', 'Emergency plan replaced'), ('tick', 'Checklist item ticked'), ('notice', 'Notice sent'), ('escalation', 'Vendor called'), ('arrival', 'Vendor engineer arrived'), ('edit', 'Details edited'), ('sla_breach', 'SLA deadline missed'), ('assign', 'Assigned')], max_length=20, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='notice',
            name='kind',
            field=models.CharField(choices=[('suspension', 'Suspension notice'), ('recovery', 'Recovery notice'), ('leader_report', 'Leader report'), ('vendor_call', 'Report of a vendor call')], max_length=20, verbose_name='kind'),
        ),
    ]

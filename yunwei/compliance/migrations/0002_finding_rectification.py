import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0001_compliance'),
        ('logbook', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='finding',
            name='rectification',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='compliance_finding', to='logbook.rectification', verbose_name='rectification'),
        ),
    ]

import yunwei.alerts.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0001_intake'),
    ]

    operations = [
        migrations.AddField(
            model_name='integration',
            name='rules_key',
            field=models.CharField(default=yunwei.alerts.models.new_rules_key, editable=False, max_length=32),
        ),
    ]

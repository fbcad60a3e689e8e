from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('logbook', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='checkpoint',
            name='logbook_checkpoint_position',
        ),
        migrations.AddField(
            model_name='checkpoint',
            name='retired_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='retired at'),
        ),
        migrations.AddField(
            model_name='roundtemplate',
            name='retired_on',
            field=models.DateField(blank=True, null=True, verbose_name='retired on'),
        ),
        migrations.AddConstraint(
            model_name='checkpoint',
            constraint=models.UniqueConstraint(condition=models.Q(('retired_at__isnull', True)), fields=('template', 'position'), name='logbook_checkpoint_position'),
        ),
    ]

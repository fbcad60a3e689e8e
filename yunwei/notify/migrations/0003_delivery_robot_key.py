from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0002_channel_announcements'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='delivery',
            name='notify_delivery_rate',
        ),
        migrations.AddField(
            model_name='delivery',
            name='robot_key',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='robot'),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(fields=['robot_key', 'state', 'sent_at'], name='notify_delivery_robot_rate'),
        ),
    ]

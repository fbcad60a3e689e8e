
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0005_comments_and_sort_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='approval',
            name='on_behalf_of',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='on behalf of'),
        ),
        migrations.AddField(
            model_name='approval',
            name='on_behalf_of_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='on behalf of'),
        ),
    ]

from django.db import migrations


# The free-text problem references go (Art. 14: a fault not fixed for good is linked to a problem of the
# problem database); problems' migration 0002 turns each that named a real problem into a link first.
class Migration(migrations.Migration):
    dependencies = [
        ('incidents', '0008_shipped_emergency_plans'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='incident',
            name='problem_ref',
        ),
    ]

from django.db import migrations

# Art. 12 as shipped: Ⅱ and Ⅲ. A fault touching several units or the whole group is Ⅱ at once; a
# narrower one starts as Ⅲ and becomes Ⅱ when it lasts past the threshold of its scope.
RULES = [
    ("one_user", 0, "III"),
    ("one_user", 480, "II"),
    ("one_department", 0, "III"),
    ("one_department", 240, "II"),
    ("one_unit", 0, "III"),
    ("one_unit", 120, "II"),
    ("several_units", 0, "II"),
    ("whole_group", 0, "II"),
]
SLA = [("II", 15, 240), ("III", 30, 1440)]


def ship(apps, schema_editor):
    """Write the shipped grading matrix and SLA targets; a group edits them as data afterwards."""
    GradingRule = apps.get_model("incidents", "GradingRule")
    SlaTarget = apps.get_model("incidents", "SlaTarget")
    for scope, minutes, grade in RULES:
        GradingRule.objects.get_or_create(
            impact_scope=scope, min_duration_minutes=minutes, defaults={"grade": grade}
        )
    for grade, acknowledge, restore in SLA:
        SlaTarget.objects.get_or_create(
            grade=grade, defaults={"acknowledge_minutes": acknowledge, "restore_minutes": restore}
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]

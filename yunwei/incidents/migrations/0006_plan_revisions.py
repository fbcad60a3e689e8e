import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def record_current_revisions(apps, schema_editor):
    """Every existing plan gets the row of its current version (earlier ones were never kept), and every
    existing drill is taken to have rehearsed that version."""
    EmergencyPlan = apps.get_model("incidents", "EmergencyPlan")
    PlanRevision = apps.get_model("incidents", "PlanRevision")
    Drill = apps.get_model("incidents", "Drill")
    for plan in EmergencyPlan.objects.all().iterator():
        revision = PlanRevision.objects.create(
            plan=plan,
            revision=plan.revision,
            created_at=plan.updated_at,
            snapshot={
                "id": plan.pk,
                "code": plan.code,
                "title": plan.title,
                "revision": plan.revision,
                "grade": plan.grade,
                "cause_category": plan.cause_category,
                "suspend_service": plan.suspend_service,
                "steps": plan.steps,
                "notice_templates": plan.notice_templates,
                "verification": plan.verification,
            },
        )
        Drill.objects.filter(plan=plan).update(plan_revision=revision)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_sla_breach_warnings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("revision", models.PositiveIntegerField(verbose_name="plan version")),
                ("snapshot", models.JSONField(default=dict, verbose_name="content")),
                ("created_at", models.DateTimeField(verbose_name="published at")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                        to="incidents.emergencyplan",
                        verbose_name="emergency plan",
                    ),
                ),
            ],
            options={
                "verbose_name": "plan version",
                "verbose_name_plural": "plan versions",
                "ordering": ["plan", "-revision"],
                "constraints": [
                    models.UniqueConstraint(fields=("plan", "revision"), name="plan_revision_unique")
                ],
            },
        ),
        migrations.AddField(
            model_name="drill",
            name="plan_revision",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="drills",
                to="incidents.planrevision",
                verbose_name="plan version",
            ),
        ),
        migrations.RunPython(record_current_revisions, migrations.RunPython.noop),
    ]

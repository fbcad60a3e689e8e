import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0003_delivery_robot_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="recipient_kind",
            field=models.CharField(
                choices=[("email", "E-mail address"), ("channel", "Channel"), ("nobody", "Nobody")],
                max_length=16,
                verbose_name="recipient kind",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("merged", "Merged into a digest"),
                    ("unreachable", "Nobody to reach"),
                ],
                default="pending",
                max_length=16,
                verbose_name="state",
            ),
        ),
        migrations.CreateModel(
            name="InboxItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("unit_id", models.BigIntegerField(blank=True, null=True, verbose_name="unit")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="received at")),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                (
                    "notice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="inbox_items",
                        to="notify.notice",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "inbox item",
                "verbose_name_plural": "inbox items",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["user", "-id"], name="notify_inbox_user"),
                    models.Index(
                        condition=models.Q(("read_at__isnull", True)),
                        fields=["user"],
                        name="notify_inbox_unread",
                    ),
                ],
                "constraints": [models.UniqueConstraint(fields=("user", "notice"), name="notify_inbox_once")],
            },
        ),
    ]

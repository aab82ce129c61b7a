"""Orders take over the fraud app's BlockedContact and OrderScreening: tables, rows and grants.

No table is created or dropped: the state moves (fraud 0003 forgets the models), the tables
are renamed in 0010, and the content types move, so every role keeps its permissions
(`review_order` included). The same approach as the directory app taking over shipping's
City and Warehouse (directory 0001, shipping 0004).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("blockedcontact", "orderscreening")


def move_content_types(apps, schema_editor, *, source="fraud", target="orders"):
    """Re-label fraud's content types (and so their permissions and grants) as orders'."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (permissions were created for the new app already): move the grants over.
        for permission in Permission.objects.filter(content_type=old):
            twin, _ = Permission.objects.get_or_create(
                content_type=new, codename=permission.codename, defaults={"name": permission.name}
            )
            for group in permission.group_set.all():
                group.permissions.add(twin)
            for user in permission.user_set.all():
                user.user_permissions.add(twin)
        old.delete()


def move_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="orders", target="fraud")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_backfill_handed_over_at"),
        ("fraud", "0002_role_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BlockedContact",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("phone", "Phone"), ("email", "E-mail")], max_length=8, verbose_name="kind"
                            ),
                        ),
                        (
                            "value",
                            models.CharField(
                                help_text="A Ukrainian phone (any spelling) or an e-mail; stored normalised.",
                                max_length=254,
                                verbose_name="value",
                            ),
                        ),
                        (
                            "reason",
                            models.TextField(
                                help_text="Why: kept for the next person who looks.", verbose_name="reason"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False, verbose_name="added at"
                            ),
                        ),
                        (
                            "added_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "fraud_blockedcontact",
                        "verbose_name": "blocked phone or e-mail",
                        "verbose_name_plural": "blocked phones and e-mails",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [models.UniqueConstraint(fields=("kind", "value"), name="blocked_contact_once")],
                    },
                ),
                migrations.CreateModel(
                    name="OrderScreening",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                        (
                            "review",
                            models.CharField(
                                choices=[
                                    ("not_needed", "Not needed"),
                                    ("pending", "Needs review"),
                                    ("approved", "Approved"),
                                    ("rejected", "Rejected"),
                                ],
                                default="not_needed",
                                max_length=16,
                                verbose_name="review",
                            ),
                        ),
                        (
                            "rule",
                            models.CharField(
                                blank=True,
                                help_text="The rule that sent it to review.",
                                max_length=64,
                                verbose_name="rule",
                            ),
                        ),
                        ("reason", models.CharField(blank=True, max_length=255, verbose_name="reason")),
                        ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided at")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False, verbose_name="screened at"
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "order",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE, related_name="screening", to="orders.order"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "fraud_orderscreening",
                        "verbose_name": "order screening",
                        "verbose_name_plural": "order reviews",
                        "ordering": ["-created_at", "-id"],
                        "permissions": [("review_order", "Can approve or reject orders held for review")],
                        "indexes": [
                            models.Index(fields=["ip", "created_at"], name="screening_ip_recent"),
                            models.Index(
                                condition=models.Q(("review", "pending")),
                                fields=["created_at"],
                                name="screening_needs_review",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_back),
    ]

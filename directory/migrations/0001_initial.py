"""The directory app takes over shipping's City and Warehouse tables, rows and permissions.

No table is created or dropped: the state moves (shipping 0004 forgets the models), the tables
are renamed in 0002, and the content types move so every role keeps its view permissions.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("city", "warehouse")


def move_content_types(apps, schema_editor, *, source="shipping", target="directory"):
    """Re-label shipping's content types (and so their permissions and grants) as directory's."""
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
    move_content_types(apps, schema_editor, source="directory", target="shipping")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("shipping", "0003_shipment_handed_over_at"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="City",
                    fields=[
                        ("ref", models.CharField(max_length=36, primary_key=True, serialize=False)),
                        ("name", models.CharField(db_index=True, max_length=120)),
                        ("area", models.CharField(blank=True, max_length=120)),
                        ("settlement_type", models.CharField(blank=True, max_length=60)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name_plural": "cities",
                        "ordering": ["name"],
                        "db_table": "shipping_city",
                    },
                ),
                migrations.CreateModel(
                    name="Warehouse",
                    fields=[
                        ("ref", models.CharField(max_length=36, primary_key=True, serialize=False)),
                        ("number", models.CharField(max_length=20)),
                        ("name", models.CharField(max_length=300)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("branch", "Branch"),
                                    ("parcel_locker", "Parcel locker"),
                                    ("cargo", "Cargo branch"),
                                ],
                                default="branch",
                                max_length=20,
                            ),
                        ),
                        ("max_weight_kg", models.PositiveIntegerField(blank=True, null=True)),
                        ("is_active", models.BooleanField(default=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "city",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="warehouses",
                                to="directory.city",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["city", "number"],
                        "indexes": [models.Index(fields=["city", "is_active"], name="warehouse_city_active")],
                        "db_table": "shipping_warehouse",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_back),
    ]

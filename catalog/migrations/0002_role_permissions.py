from django.db import migrations

from accounts.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "Support": ["catalog.view_product", "catalog.view_stock"],
            "Warehouse": [
                "catalog.view_product",
                "catalog.view_stock",
                "catalog.change_stock",
                "catalog.view_reservation",
            ],
            "Finance": ["catalog.view_product"],
            "Manager": [
                "catalog.view_product",
                "catalog.add_product",
                "catalog.change_product",
                "catalog.view_stock",
                "catalog.change_stock",
                "catalog.view_reservation",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

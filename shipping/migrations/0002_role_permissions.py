from django.db import migrations

from accounts.roles import grant_permissions

DIRECTORY = ["shipping.view_city", "shipping.view_warehouse"]


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Warehouse packs parcels: the label queue, printing, retrying and stopping them.
            "Warehouse": ["shipping.view_shipment", "shipping.manage_shipment", *DIRECTORY],
            # Support answers "where is my parcel?"; changing it is the warehouse's work.
            "Support": ["shipping.view_shipment", *DIRECTORY],
            "Manager": ["shipping.view_shipment", "shipping.manage_shipment", *DIRECTORY],
            # Finance follows cash on delivery through its parcels.
            "Finance": ["shipping.view_shipment"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

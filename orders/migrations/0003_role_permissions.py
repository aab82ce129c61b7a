from django.db import migrations

from accounts.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Support calls shoppers: confirms COD orders, fixes contact details, cancels.
            "Support": ["orders.view_order", "orders.change_order", "orders.confirm_order", "orders.cancel_order"],
            # Warehouse packs and ships what is confirmed.
            "Warehouse": ["orders.view_order", "orders.ship_order", "orders.deliver_order"],
            # Finance reads orders to reconcile money; it changes none.
            "Finance": ["orders.view_order"],
            "Manager": [
                "orders.view_order",
                "orders.change_order",
                "orders.confirm_order",
                "orders.cancel_order",
                "orders.ship_order",
                "orders.deliver_order",
                "orders.complete_order",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_number_sequence"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

from django.db import migrations

from accounts.roles import grant_permissions

VIEW_ALL = ["payments.view_payment", "payments.view_refund", "payments.view_webhookevent"]


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Finance owns the money: refunds, and the webhook inbox when a callback went wrong.
            "Finance": [*VIEW_ALL, "payments.refund_payment", "payments.reprocess_webhook"],
            "Manager": [*VIEW_ALL, "payments.refund_payment"],
            # Support answers shoppers ("did my payment go through? where is my refund?").
            "Support": ["payments.view_payment", "payments.view_refund"],
            # Warehouse has no business with money.
        },
    )


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

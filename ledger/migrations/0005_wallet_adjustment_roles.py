from django.db import migrations

from accounts.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Finance owns the money: it approves (or rejects) the large credits others ask for.
            "Finance": ["ledger.view_walletadjustmentrequest", "ledger.approve_walletadjustmentrequest"],
            # Support asks for credits and follows what became of them.
            "Support": ["ledger.view_walletadjustmentrequest"],
            # The Manager reads the books and changes nothing in them.
            "Manager": ["ledger.view_walletadjustmentrequest"],
        },
    )
    # The Manager's job says the ledger is read-only for it: it no longer credits or debits wallets.
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    adjust = Permission.objects.get(content_type__app_label="ledger", codename="adjust_wallet")
    Group.objects.get(name="Manager").permissions.remove(adjust)


def restore_manager(apps, schema_editor):
    grant_permissions(apps, {"Manager": ["ledger.adjust_wallet"]})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_wallet_adjustment_request"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, restore_manager)]

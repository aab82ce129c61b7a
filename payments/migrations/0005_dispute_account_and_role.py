"""Disputes: the chargeback-loss expense account, and Finance may open and resolve disputes."""

from django.db import migrations

from accounts.roles import grant_permissions

# Frozen here on purpose: ledger.chart.CHARGEBACK_LOSSES may be renamed, this account may not.
ACCOUNT = ("chargeback_losses", "Chargebacks lost (money taken back by a provider)", "expense")


def forwards(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    code, name, type_ = ACCOUNT
    Account.objects.get_or_create(
        code=code,
        currency="UAH",
        shard=0,
        defaults={"name": name, "type": type_, "is_hot": False, "normal_sign": 1, "allow_negative": True},
    )
    grant_permissions(apps, {"Finance": ["payments.dispute_payment"]})


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_disputes"), ("ledger", "0003_chart_of_accounts"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

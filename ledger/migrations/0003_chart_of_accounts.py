from django.db import migrations

from accounts.roles import grant_permissions

# Frozen here on purpose: a data migration must not change when ledger/chart.py does.
HOT_SHARDS = 8
CHART = [
    ("psp:fondy", "Money held by Fondy", "asset", True),
    ("psp:wayforpay", "Money held by WayForPay", "asset", True),
    ("psp:liqpay", "Money held by LiqPay", "asset", True),
    ("psp:sandbox", "Money held by the Sandbox gateway", "asset", True),
    ("cod:novaposhta", "Cash collected by Nova Poshta, not yet remitted", "asset", True),
    ("bank", "Bank account", "asset", False),
    ("customer_prepayments", "Customer prepayments (paid, not yet delivered)", "liability", True),
    ("overpayments", "Overpayments owed back to customers", "liability", False),
    ("sales", "Sales revenue", "revenue", True),
    ("psp_fees", "Payment provider fees", "expense", True),
    ("shipping", "Shipping costs", "expense", False),
    ("customer_goodwill", "Store credit granted as goodwill or compensation", "expense", False),
]


def create_chart(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, type_, hot in CHART:
        for shard in range(HOT_SHARDS if hot else 1):
            Account.objects.get_or_create(
                code=code,
                currency="UAH",
                shard=shard,
                defaults={
                    "name": name,
                    "type": type_,
                    "is_hot": hot,
                    "normal_sign": 1 if type_ in ("asset", "expense") else -1,
                    "allow_negative": True,
                },
            )
    grant_permissions(
        apps,
        {
            "Finance": [
                "ledger.view_account",
                "ledger.view_journalentry",
                "ledger.view_posting",
                "ledger.view_hold",
                "ledger.reverse_journalentry",
                "ledger.adjust_wallet",
                "ledger.verify_ledger",
            ],
            "Manager": [
                "ledger.view_account",
                "ledger.view_journalentry",
                "ledger.view_posting",
                "ledger.view_hold",
                "ledger.verify_ledger",
                "ledger.adjust_wallet",
            ],
            "Support": ["ledger.adjust_wallet"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_rules"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(create_chart, migrations.RunPython.noop)]

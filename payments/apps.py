from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Ledger money at each provider must equal what payments say was captured, less fees, refunds
# and lost chargebacks (DESIGN.md: the integrity check compares ledger totals with payments
# per provider).
PROVIDER_TOTALS_CHECK = (
    "provider_totals",
    "the ledger's money at each provider equals captured minus fees, refunds and chargebacks of payments",
    """
    SELECT coalesce(p.provider, l.provider) AS provider, coalesce(l.balance, 0) AS ledger,
           coalesce(p.expected, 0) AS from_payments
      FROM (SELECT provider, sum(captured_amount - fee - refunded_amount - charged_back_amount) AS expected
              FROM payments_payment GROUP BY provider) p
      FULL OUTER JOIN (SELECT substr(code, 5) AS provider, sum(balance) AS balance
                         FROM ledger_account WHERE code LIKE 'psp:%' GROUP BY code) l
        ON l.provider = p.provider
     WHERE coalesce(l.balance, 0) <> coalesce(p.expected, 0)
    """,
)


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # Imported here, not at the top: they need the app registry (models) loaded.
        from core.metrics import add_part
        from ledger.integrity import EXTRA_CHECKS
        from payments.metrics import webhook_results

        add_part(webhook_results)

        if PROVIDER_TOTALS_CHECK not in EXTRA_CHECKS:
            EXTRA_CHECKS.append(PROVIDER_TOTALS_CHECK)

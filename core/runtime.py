"""Runtime settings staff edit in the admin (django-constance), read in one place."""

from constance import config


def order_payment_timeout_minutes() -> int:
    return int(config.ORDER_PAYMENT_TIMEOUT_MINUTES)


def cod_auto_confirm() -> bool:
    return bool(config.COD_AUTO_CONFIRM)


def payment_reconcile_after_minutes() -> int:
    return int(config.PAYMENT_RECONCILE_AFTER_MINUTES)


def auto_refund_overpayments() -> bool:
    return bool(config.AUTO_REFUND_OVERPAYMENTS)


# --- ledger: store credit -------------------------------------------------------------------


def wallet_credit_approval_threshold() -> int:
    """Kopiyky: a staff credit of store credit above this waits for a second person's approval."""
    return int(config.WALLET_CREDIT_APPROVAL_THRESHOLD) * 100

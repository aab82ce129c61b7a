"""Runtime settings staff edit in the admin (django-constance), read in one place."""

from constance import config
from constance import settings as constance_settings
from django.conf import settings
from django.core.cache import caches


def cache_key(key: str, key_prefix: str, version: int) -> str:
    """The runtime settings' cache key (CACHES["runtime_settings"]): it names the database."""
    return f"{key_prefix}:{version}:{settings.DATABASES['default']['NAME']}:{key}"


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


# --- anti-abuse (fraud): each threshold 0 switches its rule off -------------------------------


def fraud_max_open_orders_per_phone() -> int:
    return int(config.FRAUD_MAX_OPEN_ORDERS_PER_PHONE)


def fraud_max_open_orders_per_email() -> int:
    return int(config.FRAUD_MAX_OPEN_ORDERS_PER_EMAIL)


def fraud_max_open_orders_per_ip() -> int:
    return int(config.FRAUD_MAX_OPEN_ORDERS_PER_IP)


def fraud_cod_refusals_before_prepayment() -> int:
    return int(config.FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT)


def fraud_review_first_order_above() -> int:
    return int(config.FRAUD_REVIEW_FIRST_ORDER_ABOVE)


def fraud_review_ip_orders() -> int:
    return int(config.FRAUD_REVIEW_IP_ORDERS)


def fraud_review_ip_window_minutes() -> int:
    return int(config.FRAUD_REVIEW_IP_WINDOW_MINUTES)


FRAUD_SETTINGS = (
    "FRAUD_MAX_OPEN_ORDERS_PER_PHONE",
    "FRAUD_MAX_OPEN_ORDERS_PER_EMAIL",
    "FRAUD_MAX_OPEN_ORDERS_PER_IP",
    "FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT",
    "FRAUD_REVIEW_FIRST_ORDER_ABOVE",
    "FRAUD_REVIEW_IP_ORDERS",
    "FRAUD_REVIEW_IP_WINDOW_MINUTES",
)


def fraud_thresholds() -> dict[str, int]:
    """Every anti-abuse threshold at once (one cache round trip instead of one each)."""
    return {name: int(value) for name, value in values(*FRAUD_SETTINGS).items()}


def values(*names: str) -> dict:
    """Several runtime settings in one read of constance's cache (its own keys); a key the cache
    lacks (cold, or Redis unreachable) is read through constance as usual."""
    prefix = constance_settings.DATABASE_PREFIX
    found = {}
    if constance_settings.DATABASE_CACHE_BACKEND:
        cached = caches[constance_settings.DATABASE_CACHE_BACKEND].get_many([f"{prefix}{name}" for name in names])
        found = {name: cached[f"{prefix}{name}"] for name in names if cached.get(f"{prefix}{name}") is not None}
    return {name: found[name] if name in found else getattr(config, name) for name in names}

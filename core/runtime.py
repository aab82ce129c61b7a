"""Runtime settings staff edit in the admin (django-constance), read in one place."""

from constance import config


def order_payment_timeout_minutes() -> int:
    return int(config.ORDER_PAYMENT_TIMEOUT_MINUTES)


def cod_auto_confirm() -> bool:
    return bool(config.COD_AUTO_CONFIRM)

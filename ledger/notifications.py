"""E-mails to customers about their store credit, each sent at most once per change.

Written in the customer's language: ``User.language`` when accounts has it (their saved
choice), else the language of their latest order, else the shop's default (Ukrainian).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from core.emails import send_email
from core.languages import supported_language
from core.outbox import send_once
from ledger.selectors import wallet_history, wallet_of


def customer_language(user) -> str:
    """The language to write to a customer in (see the module docstring)."""
    saved = getattr(user, "language", "")
    if saved:
        return supported_language(saved)
    # ledger sits below orders and does not import it; the reverse relation is enough.
    orders = getattr(user, "orders", None)
    latest = orders.order_by("-created_at", "-id").values_list("language", flat=True).first() if orders else None
    return supported_language(latest)


def send_wallet_email(*, user_id: int, currency: str, once_key: str) -> bool:
    """Tell the customer their store credit changed: the new balance and the last movement.

    `once_key` names the change (the task's id: one per notification asked for, the same on
    every redelivery and outbox re-publish); a second delivery sends nothing. True if sent.
    """
    user = get_user_model().objects.get(pk=user_id)
    wallet = wallet_of(user_id=user_id, currency=currency)
    if wallet is None:
        return False
    history = wallet_history(account=wallet, limit=1)
    language = customer_language(user)
    with translation.override(language):
        account_path = reverse("accounts:store_credit")
    context = {
        "user": user,
        "wallet": wallet,
        "last": history[0] if history else None,
        "shop_name": settings.SHOP_NAME,
        "account_url": settings.SITE_URL.rstrip("/") + account_path,
    }

    def send() -> None:
        send_email(to=user.email, template="wallet_changed", context=context, language=language)

    return send_once(f"wallet:{wallet.pk}:{once_key}", send)

"""E-mails to customers about their store credit, each sent at most once per change."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.outbox import send_once
from ledger.selectors import wallet_history, wallet_of


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
    context = {
        "user": user,
        "wallet": wallet,
        "last": history[0] if history else None,
        "shop_name": settings.SHOP_NAME,
        "account_url": settings.SITE_URL.rstrip("/") + "/account/store-credit/",
    }

    def send() -> None:
        send_mail(
            subject=_("Your %(shop)s store credit changed") % {"shop": settings.SHOP_NAME},
            message=render_to_string("emails/wallet_changed.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )

    return send_once(f"wallet:{wallet.pk}:{once_key}", send)

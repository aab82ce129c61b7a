"""E-mails to customers about their store credit."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from ledger.selectors import wallet_history, wallet_of


def send_wallet_email(*, user_id: int, currency: str) -> None:
    """Tell the customer their store credit changed: the new balance and the last movement."""
    user = get_user_model().objects.get(pk=user_id)
    wallet = wallet_of(user_id=user_id, currency=currency)
    if wallet is None:
        return
    history = wallet_history(account=wallet, limit=1)
    context = {
        "user": user,
        "wallet": wallet,
        "last": history[0] if history else None,
        "shop_name": settings.SHOP_NAME,
        "account_url": settings.SITE_URL.rstrip("/") + "/account/store-credit/",
    }
    send_mail(
        subject=f"Your {settings.SHOP_NAME} store credit changed",
        message=render_to_string("emails/wallet_changed.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )

"""The URLs a payment hands its provider, and the secret of the shopper's return URL.

The payment reference is the provider's order id: providers, their logs and the shopper's
browser history all see it, so it proves nothing. The return URL carries, next to it, a
signature of the reference with our SECRET_KEY (django.core.signing); only a URL we gave a
provider for that payment has it.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

SALT = "payments.return"


def return_token(*, reference) -> str:
    return signing.Signer(salt=SALT).signature(str(reference))


def is_valid_return_token(*, reference, token: str) -> bool:
    return bool(token) and constant_time_compare(token, return_token(reference=reference))


def callback_url_for(payment) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("payment_callback", kwargs={"provider": payment.provider})


def return_url_for(payment) -> str:
    """Where the provider sends the shopper back: the reference and a secret of its own."""
    token = return_token(reference=payment.reference)
    path = reverse("payments:return", kwargs={"reference": payment.reference, "token": token})
    return settings.SITE_URL.rstrip("/") + path

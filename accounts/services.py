"""Writes about users that other layers need."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from accounts.exceptions import EmailTaken


def obtain_api_token(*, user) -> str:
    """Return the user's API token, creating it on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def register_customer(*, email: str, password: str, full_name: str = "", phone: str = ""):
    """Create a shopper's account. A duplicate e-mail (any case) raises EmailTaken."""
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(
                email=email, password=password, full_name=full_name, phone=phone
            )
    except IntegrityError:
        raise EmailTaken() from None

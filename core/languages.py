"""Which of the shop's languages a code means, for what is stored or sent later (an order's
language, the language of an e-mail)."""

from django.conf import settings
from django.utils import translation


def supported_language(code: str | None) -> str:
    """The shop's language for a code ("en", "en-GB" -> "en"); the default (Ukrainian) for an
    empty, unknown or retired one, so a stored code can never break rendering."""
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def active_language() -> str:
    """The language of the current request (the shop's URL, the API's Accept-Language) as a
    supported code; the default outside a request."""
    return supported_language(translation.get_language())

"""Which of the shop's languages a code means: for a request (cookie, header, profile) and for
what is stored or sent later (an order's language, the language of an e-mail)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import language_code_re


def language_or_none(code: str | None) -> str | None:
    """The shop's language for a code ("uk", "en", "en-GB" -> "en"), or None for an empty,
    unknown or malformed one (a tampered cookie: "en-US\\x00", "../x")."""
    if not code or not language_code_re.match(code):
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def supported_language(code: str | None) -> str:
    """`language_or_none`, with the default (Ukrainian) for anything else, so a stored code can
    never break rendering."""
    return language_or_none(code) or settings.LANGUAGE_CODE


def active_language() -> str:
    """The language of the current request (the shop's URL, the API's Accept-Language) as a
    supported code; the default outside a request."""
    return supported_language(translation.get_language())

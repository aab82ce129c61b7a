"""Money is an integer count of minor units (kopiyky) with an ISO currency code.

Floats never touch money. Conversion to a provider's decimal format happens only in that
provider's adapter; this module only formats amounts for people and reads what staff type.

Formatting follows the active language through Babel (CLDR's currency pattern for it):
Ukrainian ``1 399,00 ₴`` (U+202F between thousands, decimal comma, U+00A0 before the sign),
English ``₴1,399.00`` (CLDR's en pattern ``¤#,##0.00`` with the hryvnia's narrow symbol).
"""

import re
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, format_currency, parse_pattern
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

DEFAULT_CURRENCY = "UAH"
# CLDR's narrow symbol. Babel's en data spells the hryvnia "UAH" (and glues it to the digits:
# "UAH1,399.00", since Babel does not apply CLDR's currency spacing); every Ukrainian shop
# writes ₴, so the symbol is the same in both languages and only its place follows CLDR.
CURRENCY_SYMBOLS = {"UAH": "₴"}

NARROW_NO_BREAK_SPACE = "\u202f"


class _ShopLocale(Locale):
    """A Babel locale whose thousands separator is U+202F where CLDR has a space.

    CLDR (and so Babel) groups Ukrainian thousands with U+00A0, the same character that sits
    before ₴. Ukrainian typography (ДСТУ 3582 / the state standard for numbers) and the shop's
    style want the narrow no-break space between groups: "1 399,00 ₴" reads as one number
    and never wraps. English keeps its comma.
    """

    @cached_property  # read several times per number; the locale itself is cached below
    def number_symbols(self):
        symbols = super().number_symbols
        latn = dict(symbols["latn"])
        if latn.get("group", "").isspace():
            latn["group"] = NARROW_NO_BREAK_SPACE
        return {**symbols, "latn": latn}


@lru_cache(maxsize=16)
def _locale(language: str) -> _ShopLocale:
    try:
        return _ShopLocale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return _ShopLocale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def _active_locale() -> _ShopLocale:
    return _locale(translation.get_language() or settings.LANGUAGE_CODE)


@lru_cache(maxsize=64)
def _money_pattern(locale: _ShopLocale, symbol: str) -> NumberPattern:
    """The locale's own currency pattern with our symbol quoted in as a literal (parsed once)."""
    return parse_pattern(locale.currency_formats["standard"].pattern.replace("¤", f"'{symbol}'"))


def format_money(amount: int, currency: str = DEFAULT_CURRENCY) -> str:
    """Format minor units for display in the active language: 139900 -> '1 399,00 ₴' (uk), '₴1,399.00' (en)."""
    return _format_money(int(amount), currency, translation.get_language() or settings.LANGUAGE_CODE)


# Babel takes ~30 µs a number; a changelist or statement shows the same prices and balances
# over and over, so the text of recent (amount, currency, language) triples is kept.
@lru_cache(maxsize=4096)
def _format_money(amount: int, currency: str, language: str) -> str:
    locale = _locale(language)
    value = Decimal(amount).scaleb(-2)  # exact: kopiyky are integers, no rounding happens
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return format_currency(value, currency, locale=locale)
    return _money_pattern(locale, symbol).apply(value, locale)


def format_amount(amount: int) -> str:
    """Minor units as a plain localised number without a currency: 139900 -> '1 399,00' (uk)."""
    return _PLAIN_AMOUNT.apply(Decimal(int(amount)).scaleb(-2), _active_locale())


_PLAIN_AMOUNT = parse_pattern("#,##0.00")


# One adjustment of store credit: far above any real one, far below PostgreSQL's bigint.
MAX_KOPIYKY = 1_000_000_00

# What may surround the number: the hryvnia sign, "грн"/"грн." and "UAH", in any case.
_CURRENCY_WORDS = re.compile(r"₴|грн\.?|uah", re.IGNORECASE)
# Every kind of space people and programs put between thousands (space, no-break, narrow
# no-break, thin, figure space) reads as one plain space.
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
# One of: 1399 / 1 399 / 1399,50 / 1 399,50 / 1399.50 / 1,399.50. Groups are whole: "12 34"
# is a typo, not 1234. English grouping only with a decimal point: a lone "1,399" is the
# Ukrainian 1.399 and refused below for its third decimal.
_AMOUNT = re.compile(r"^(?P<int>\d+|\d{1,3}(?: \d{3})+|\d{1,3}(?:,\d{3})+(?=\.))(?:[.,](?P<frac>\d+))?$")


def parse_hryvnias(value: str, *, max_kopiyky: int = MAX_KOPIYKY) -> int:
    """Read an amount staff typed into kopiyky: '1 399,50', '1399.50', '1 399,50 грн' -> 139950.

    Accepts any space (U+00A0, U+202F) between thousands, a decimal comma or point, the
    English "1,399.50", and ₴ / грн / UAH before or after. Refuses everything else (letters,
    exponents, NaN, two signs), fractions of a kopiyka, zero, negatives and amounts above
    `max_kopiyky`, each with a message that says what to type.
    """
    text = _SPACES.sub(" ", _CURRENCY_WORDS.sub("", str(value or ""))).strip()
    if text.startswith(("-", "\u2212")) and _AMOUNT.match(text[1:].lstrip()):
        raise forms.ValidationError(gettext("Enter a positive amount."), code="not_positive")
    match = _AMOUNT.match(text)
    if match is None:
        raise forms.ValidationError(
            gettext("Enter an amount in hryvnias, e.g. 150, 150,50 or 1 399,50."), code="invalid_amount"
        )
    whole = match["int"].replace(",", "").replace(" ", "")
    fraction = match["frac"] or ""
    if len(fraction) > 2:
        raise forms.ValidationError(
            gettext("Enter at most two digits after the decimal comma (kopiyky)."), code="too_precise"
        )
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation:  # cannot happen after the pattern; kept so nothing but ValidationError escapes
        raise forms.ValidationError(gettext("Enter an amount in hryvnias."), code="invalid_amount") from None
    if amount * 100 > max_kopiyky:  # exact: a Decimal of at most 1000 digits, never an overflow
        raise forms.ValidationError(
            gettext("Enter at most %(limit)s at a time.") % {"limit": format_money(max_kopiyky)}, code="too_large"
        )
    kopiyky = int(amount * 100)
    if kopiyky <= 0:
        raise forms.ValidationError(gettext("Enter a positive amount."), code="not_positive")
    return kopiyky


# Longer than any amount anybody types (1 000 000,00 грн is 15 characters).
AMOUNT_MAX_LENGTH = 30


class HryvniaField(forms.Field):
    """A staff form's amount: typed in hryvnias as a Ukrainian writes it, cleaned to kopiyky (int).

    Reads what parse_hryvnias reads; shows an initial amount in kopiyky the way the active
    language writes it ("1 399,50" in Ukrainian), so a form sent back unchanged reads the same.
    """

    widget = forms.TextInput

    def __init__(self, *, max_kopiyky: int = MAX_KOPIYKY, **kwargs):
        self.max_kopiyky = max_kopiyky
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": str(AMOUNT_MAX_LENGTH), "inputmode": "decimal"}

    def prepare_value(self, value):
        return format_amount(value) if isinstance(value, int) else value

    def to_python(self, value):
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        if len(text) > AMOUNT_MAX_LENGTH:
            raise forms.ValidationError(gettext("Enter an amount in hryvnias."), code="invalid_amount")
        return parse_hryvnias(text, max_kopiyky=self.max_kopiyky)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except forms.ValidationError:
            return True

"""Money is an integer count of minor units (kopiyky) with an ISO currency code.

Floats never touch money. Conversion to a provider's decimal format happens only in that
provider's adapter; this module only formats for people.
"""

from decimal import Decimal, InvalidOperation

from django import forms

DEFAULT_CURRENCY = "UAH"
CURRENCY_SYMBOLS = {"UAH": "₴"}


def format_money(amount: int, currency: str = DEFAULT_CURRENCY) -> str:
    """Format minor units for display: 123456 -> '1 234.56 ₴'."""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(int(amount)), 100)
    grouped = f"{major:,}".replace(",", "\u00a0")
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    return f"{sign}{grouped}.{minor:02d}\u00a0{symbol}"


# One adjustment of store credit: far above any real one, far below PostgreSQL's bigint.
MAX_KOPIYKY = 1_000_000_00


def parse_hryvnias(value: str) -> int:
    """'120.50' -> 12050 kopiyky; refuses fractions of a kopiyka and non-positive amounts."""
    try:
        amount = Decimal(str(value).replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except InvalidOperation:
        amount = None
    # Decimal also reads 'NaN', 'sNaN' and 'Infinity'; none of them is an amount of money.
    if amount is None or not amount.is_finite():
        raise forms.ValidationError("Enter an amount in hryvnias, e.g. 150 or 150.50.")
    if amount > MAX_KOPIYKY // 100:  # compared before any arithmetic, which could overflow
        raise forms.ValidationError(f"Enter at most {format_money(MAX_KOPIYKY)} at a time.")
    kopiyky = amount * 100
    if kopiyky != kopiyky.to_integral_value() or kopiyky <= 0:
        raise forms.ValidationError("Enter a positive amount with at most two decimals.")
    return int(kopiyky)

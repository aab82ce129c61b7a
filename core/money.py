"""Money is an integer count of minor units (kopiyky) with an ISO currency code.

Floats never touch money. Conversion to a provider's decimal format happens only in that
provider's adapter; this module only formats for people.
"""

DEFAULT_CURRENCY = "UAH"
CURRENCY_SYMBOLS = {"UAH": "₴"}


def format_money(amount: int, currency: str = DEFAULT_CURRENCY) -> str:
    """Format minor units for display: 123456 -> '1 234.56 ₴'."""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(int(amount)), 100)
    grouped = f"{major:,}".replace(",", "\u00a0")
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    return f"{sign}{grouped}.{minor:02d}\u00a0{symbol}"

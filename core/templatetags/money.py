from django import template

from core.money import DEFAULT_CURRENCY, format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency=DEFAULT_CURRENCY):
    """Render kopiyky as hryvnias: {{ order.total|money }}."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency or DEFAULT_CURRENCY)

"""Amounts in templates: ``{% load money %}`` then ``{{ order.total|money }}`` (kopiyky in, the
active language's way of writing hryvnias out: "1 399,00 ₴" in Ukrainian, "₴1,399.00" in English)."""

from django import template

from core.money import DEFAULT_CURRENCY, format_amount, format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency=DEFAULT_CURRENCY):
    """Render kopiyky as hryvnias: {{ order.total|money }}, {{ wallet.balance|money:wallet.currency }}."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency or DEFAULT_CURRENCY)


@register.filter(name="amount")
def amount_filter(amount):
    """Render kopiyky as a plain localised number without the sign: {{ line.amount|amount }} -> "1 399,00"."""
    if amount is None or amount == "":
        return ""
    return format_amount(int(amount))

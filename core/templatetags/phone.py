"""Phone numbers in templates: ``{% load phone %}`` then ``{{ order.phone|phone }}``."""

from django import template

from core.phones import format_phone

register = template.Library()


@register.filter(name="phone")
def phone_filter(value):
    """Render a stored phone number (+380671234567) for reading: +380 67 123 45 67."""
    return format_phone(value)

"""The order list's compact columns: it fits a 1280 px screen next to the admin's sidebars.

Nine columns (name, phone, e-mail, status, payment method, payment state, ...) made the list
scroll sideways at 1280 px, more so with long Ukrainian names. Who ordered is one column (name,
then phone and e-mail), and where the order stands is another (the status, then the payment
state, which also names an offline method: "cash on delivery", "paid with store credit").
The payment method stays a filter. Styles: static/admin/kramar.css.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.phones import format_phone


class CompactOrderColumnsMixin:
    """`customer_column` and `state_column` for OrderAdmin.list_display."""

    @admin.display(description=_("customer"), ordering="full_name")
    def customer_column(self, order):
        return format_html(
            '{}<span class="kr-sub">{}</span><span class="kr-sub kr-email">{}</span>',
            order.full_name,
            format_phone(order.phone),
            order.email,
        )

    @admin.display(description=_("status and payment"), ordering="status")
    def state_column(self, order):
        return format_html('{}<span class="kr-sub">{}</span>', self.status_badge(order), self.payment_status(order))

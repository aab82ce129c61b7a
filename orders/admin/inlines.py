"""The order's lines on its change page: shown, never edited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.money import format_money
from orders.models import OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("name", "sku", "unit_price_display", "quantity", "line_total_display")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("unit price"))
    def unit_price_display(self, line):
        return format_money(line.unit_price, line.order.currency)

    @admin.display(description=_("line total"))
    def line_total_display(self, line):
        return format_money(line.line_total, line.order.currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    # Lines are part of the order: whoever may see the order sees them; nobody edits them.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

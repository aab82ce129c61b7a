"""The order API's serializers, shared by every order endpoint."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from orders.models import Order
from orders.services import MAX_QUANTITY
from payments.selectors import order_payment_status


class OrderLineOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price = serializers.IntegerField(help_text="Kopiyky.")
    quantity = serializers.IntegerField()
    line_total = serializers.IntegerField(help_text="Kopiyky.")

    class Meta:
        ref_name = "OrderLine"


class OrderOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    payment_method = serializers.ChoiceField(choices=Order.PaymentMethod.choices)
    payment_status = serializers.SerializerMethodField(
        help_text="unpaid, payment processing, paid, partially refunded, refunded, overpaid (refund under way); "
        "cash on delivery / paid on delivery; paid with store credit."
    )
    currency = serializers.CharField()
    subtotal = serializers.IntegerField(help_text="Kopiyky.")
    delivery_fee = serializers.IntegerField(help_text="Kopiyky.")
    total = serializers.IntegerField(help_text="Kopiyky.")
    store_credit = serializers.IntegerField(help_text="Kopiyky paid with store credit.")
    amount_due = serializers.IntegerField(help_text="Kopiyky left to pay by the payment method.")
    lines = OrderLineOutputSerializer(many=True)
    full_name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.EmailField()
    delivery_city = serializers.CharField()
    delivery_branch = serializers.CharField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When an unpaid online order expires.")
    version = serializers.IntegerField(help_text="Goes up with every change; the ETag is this number quoted.")
    url = serializers.SerializerMethodField(help_text="The order's page for the shopper (a secret link).")

    class Meta:
        ref_name = "Order"

    def get_url(self, order) -> str:
        return order.get_absolute_url()

    def get_payment_status(self, order) -> str:
        # Derived from the order's payments; a list passes them all in, read with one query.
        statuses = self.context.get("payment_statuses") or {}
        if order.pk in statuses:
            return statuses[order.pk]
        return order_payment_status(order=order)


class OrderItemInputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(required=False, min_value=1)
    sku = serializers.CharField(required=False, max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    class Meta:
        ref_name = "OrderPlaceItem"

    def validate(self, attrs):
        if ("product_id" in attrs) == ("sku" in attrs):
            raise serializers.ValidationError(_("Give either product_id or sku for each item."))
        return attrs


def max_length(field: str) -> int:
    """The column's length: a longer value must be a 400 here, not a database error later."""
    return Order._meta.get_field(field).max_length

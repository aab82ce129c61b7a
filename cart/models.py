"""Carts in database rows: one per owner (a customer, or a guest's token), one row per product.

Every change is a per-line SQL statement under the cart row's lock (cart.services), never a
read-modify-write of the whole cart, so two tabs or two quick clicks both land.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The most units of one product a cart holds; the same limit as checkout's
# (orders.services.MAX_QUANTITY, which a test keeps equal to this one).
MAX_QUANTITY = 99


class Cart(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A guest's cart is found by a token kept in their session (cart.requests).
    guest_token = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # The token of the checkout form showing the current contents; emptied by every change,
    # so a form shown before a change never places an order (orders.views).
    checkout_token = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by every change of the cart or its lines: the purge of stale guest carts reads it.
    updated_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False, guest_token__isnull=True)
                | models.Q(customer__isnull=True, guest_token__isnull=False),
                name="cart_one_owner",
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(customer__isnull=False), name="cart_one_per_customer"
            ),
            models.UniqueConstraint(
                fields=["guest_token"], condition=models.Q(guest_token__isnull=False), name="cart_one_per_guest"
            ),
        ]

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_one_per_product"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY), name="cart_line_quantity_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x product {self.product_id}"

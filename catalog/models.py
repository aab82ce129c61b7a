from django.db import models
from django.urls import reverse

from core.money import DEFAULT_CURRENCY


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.PositiveBigIntegerField(help_text="Price in kopiyky (minor units).")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, editable=False)
    weight_grams = models.PositiveIntegerField(default=500, help_text="Shipping weight in grams.")
    is_active = models.BooleanField("active", default=True, help_text="Inactive products are hidden from shoppers.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(weight_grams__gt=0), name="product_weight_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def get_absolute_url(self):
        return reverse("catalog:product_detail", kwargs={"slug": self.slug})


class Stock(models.Model):
    """How many units of a product the warehouse holds and how many are promised to orders.

    The database keeps both counts non-negative and `reserved <= on_hand`, whatever code runs.
    """

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="stock")
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stock"
        constraints = [
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_on_hand_non_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_non_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")), name="stock_reserved_le_on_hand"
            ),
        ]

    def __str__(self):
        return f"{self.product.sku}: {self.available} available"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units of one product promised to one holder (an order), resolved at most once.

    `reference` names the holder ("order:42"); catalog does not know what an order is.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"
        FULFILLED = "fulfilled", "Fulfilled"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservations")
    reference = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive"),
            # One active reservation per holder and product; a revived order may reserve again.
            models.UniqueConstraint(
                fields=["reference", "product"],
                condition=models.Q(status="active"),
                name="reservation_one_active_per_product_and_holder",
            ),
        ]
        indexes = [models.Index(fields=["reference", "status"], name="reservation_ref_status")]

    def __str__(self):
        return f"{self.quantity} x {self.product_id} for {self.reference} ({self.status})"

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modeltranslation import settings as mt_settings

from core.money import DEFAULT_CURRENCY


def _trigram_index(field: str) -> GinIndex:
    """A trigram index serving `field__icontains` (PostgreSQL compares UPPER(field) LIKE UPPER(%q%))."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"product_{field}_trgm")


class Product(models.Model):
    """A product on sale. `name` and `description` are translated (catalog/translation.py)."""

    sku = models.CharField(
        _("SKU"), max_length=64, unique=True, error_messages={"unique": _("A product with this SKU already exists.")}
    )
    name = models.CharField(
        pgettext_lazy("product", "name"),
        max_length=200,
        help_text=_("Ukrainian is required; without an English name the English pages show the Ukrainian one."),
    )
    slug = models.SlugField(_("slug"), max_length=220, unique=True, help_text=_("The product's address: /p/<slug>/."))
    description = models.TextField(_("description"), blank=True)
    price = models.PositiveBigIntegerField(_("price"), help_text=_("Price in kopiyky (minor units)."))
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY, editable=False)
    weight_grams = models.PositiveIntegerField(_("weight, g"), default=500, help_text=_("Shipping weight in grams."))
    is_active = models.BooleanField(
        pgettext_lazy("product", "active"), default=True, help_text=_("Inactive products are hidden from shoppers.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(weight_grams__gt=0), name="product_weight_positive"),
            # Ukrainian is the shop's language: every product has a Ukrainian name.
            models.CheckConstraint(
                condition=models.Q(name_uk__isnull=False) & ~models.Q(name_uk=""), name="product_name_uk_not_empty"
            ),
        ]
        indexes = [
            # The shoppers' search (catalog.selectors) in both languages, and by SKU in any case.
            _trigram_index("name_uk"),
            _trigram_index("name_en"),
            _trigram_index("description_uk"),
            _trigram_index("description_en"),
            models.Index(Upper("sku"), name="product_sku_upper"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def save(self, *args, **kwargs):
        # modeltranslation keeps the untranslated `name` and `description` columns and fills them
        # from the active language. Saving under Ukrainian keeps them the Ukrainian texts, so the
        # queries of other models that reach a product (`order_by("product__name")`, which
        # modeltranslation does not rewrite) see the shop's language, never an English or empty one.
        with translation.override(mt_settings.DEFAULT_LANGUAGE):
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("catalog:product_detail", kwargs={"slug": self.slug})


class Stock(models.Model):
    """How many units of a product the warehouse holds and how many are promised to orders.

    The database keeps both counts non-negative and `reserved <= on_hand`, whatever code runs.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="stock", verbose_name=_("product")
    )
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_on_hand_non_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_non_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")), name="stock_reserved_le_on_hand"
            ),
        ]

    def __str__(self):
        return _("%(sku)s: %(available)s available") % {"sku": self.product.sku, "available": self.available}

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units of one product promised to one holder (an order), resolved at most once.

    `reference` names the holder ("order:42"); catalog does not know what an order is.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("reservation", "Active")
        RELEASED = "released", pgettext_lazy("reservation", "Released")
        FULFILLED = "fulfilled", pgettext_lazy("reservation", "Fulfilled")

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("product")
    )
    reference = models.CharField(_("holder"), max_length=64, help_text=_("Who holds the units, e.g. order:42."))
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
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
        return _("%(quantity)s × product %(product)s for %(reference)s (%(status)s)") % {
            "quantity": self.quantity,
            "product": self.product_id,
            "reference": self.reference,
            "status": self.get_status_display(),
        }

"""Products, stock and reservations in the back office. Stock changes go through services."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from catalog.models import Product, Reservation, Stock
from catalog.services import create_product, set_stock_on_hand
from core.admin import ServiceFormErrorsMixin, ServiceRefused
from core.exceptions import DomainError
from core.money import HryvniaField, format_money

# As much as the form took before (12 digits with kopiyky); the column is a bigint.
PRICE_MAX_KOPIYKY = 10**12 - 1
# Both languages' texts side by side (modeltranslation labels them "[uk]" and "[en]").
TEXT_FIELDS = ("name_uk", "name_en", "description_uk", "description_en")
PRODUCT_FIELDS = (
    "sku",
    "name_uk",
    "name_en",
    "slug",
    "description_uk",
    "description_en",
    "price",
    "weight_grams",
    "is_active",
)


class ProductForm(forms.ModelForm):
    price = HryvniaField(max_kopiyky=PRICE_MAX_KOPIYKY, label=_("Price, ₴"), help_text=_("In hryvnias, e.g. 1249.50."))
    on_hand = forms.IntegerField(
        label=_("Units on hand"), min_value=0, initial=0, help_text=_("Counted units in the warehouse.")
    )

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS


class StockInline(admin.TabularInline):
    """The product's stock at a glance; it is counted and corrected on the stock page."""

    model = Stock
    fields = ("on_hand", "reserved", "available", "edit")
    readonly_fields = fields
    can_delete = False
    extra = 0

    @admin.display(description="")
    def edit(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:catalog_stock_change", args=[obj.pk]), _("Stock page"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ServiceFormErrorsMixin, TranslationAdmin):
    """Plain TranslationAdmin, not its tabbed variant: that loads jQuery UI from a CDN."""

    form = ProductForm
    list_display = ("sku", "name", "price_display", "is_active", "on_hand", "reserved", "available")
    list_display_links = ("sku", "name")
    list_filter = ("is_active",)
    list_select_related = ("stock",)
    search_fields = ("sku", "name_uk", "name_en")
    prepopulated_fields = {"slug": ("name_uk",)}
    # price_display stands in for price on a view-only page (get_fields); listed here so that
    # TranslationAdmin's form leaves it out (it replaces the admin's own exclude list).
    readonly_fields = ("created_at", "updated_at", "price_display")
    ordering = ("name", "id")

    def get_fields(self, request, obj=None):
        if obj is None:
            return (*PRODUCT_FIELDS, "on_hand")
        if not self.has_change_permission(request, obj):
            # A view-only page shows model values as they are: show the price in hryvnias.
            return tuple("price_display" if f == "price" else f for f in PRODUCT_FIELDS) + ("created_at", "updated_at")
        return (*PRODUCT_FIELDS, "created_at", "updated_at")

    def get_inlines(self, request, obj):
        return [StockInline] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            # Stock is corrected on its own page, through catalog.services.set_stock_on_hand.
            form_class.base_fields.pop("on_hand", None)
        return form_class

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return format_money(obj.price, obj.currency)

    @admin.display(description=_("on hand"), ordering="stock__on_hand")
    def on_hand(self, obj):
        stock = _stock_of(obj)
        return stock.on_hand if stock else None

    @admin.display(description=_("reserved"), ordering="stock__reserved")
    def reserved(self, obj):
        stock = _stock_of(obj)
        return stock.reserved if stock else None

    @admin.display(description=_("available"))
    def available(self, obj):
        stock = _stock_of(obj)
        return stock.available if stock else None

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            data = {field: form.cleaned_data[field] for field in PRODUCT_FIELDS if field not in TEXT_FIELDS}
            product = create_product(
                **data,
                name=form.cleaned_data["name_uk"],
                name_en=form.cleaned_data["name_en"] or "",
                description=form.cleaned_data["description_uk"] or "",
                description_en=form.cleaned_data["description_en"] or "",
                on_hand=form.cleaned_data["on_hand"],
            )
        except DomainError as exc:
            raise ServiceRefused(exc) from exc
        # The admin goes on with `obj` (history entry, redirect): make it the saved product.
        obj.pk = product.pk
        obj._state.adding = False
        obj.refresh_from_db()


def _stock_of(product: Product) -> Stock | None:
    try:
        return product.stock
    except Stock.DoesNotExist:
        return None


@admin.register(Stock)
class StockAdmin(ServiceFormErrorsMixin, admin.ModelAdmin):
    """Counted units per product. `reserved` belongs to open orders and is never typed in."""

    list_display = ("sku", "product_name", "on_hand", "reserved", "available")
    list_select_related = ("product",)
    search_fields = ("product__sku", "product__name_uk", "product__name_en")
    ordering = ("product__name_uk", "product_id")
    fields = ("product", "on_hand", "reserved", "available", "updated_at")
    readonly_fields = ("product", "reserved", "available", "updated_at")

    @admin.display(description=_("SKU"), ordering="product__sku")
    def sku(self, obj):
        return obj.product.sku

    @admin.display(description=_("product"), ordering="product__name_uk")
    def product_name(self, obj):
        return obj.product.name

    def has_add_permission(self, request):
        return False  # a product's stock row is made with the product

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            set_stock_on_hand(product_id=obj.product_id, on_hand=form.cleaned_data["on_hand"])
        except DomainError as exc:
            raise ServiceRefused(exc, field="on_hand") from exc


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    """Units promised to orders; written only by the checkout and order services."""

    list_display = ("product", "reference", "quantity", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    list_select_related = ("product",)
    search_fields = ("=reference", "product__sku", "product__name_uk", "product__name_en")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

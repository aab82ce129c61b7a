from collections.abc import Iterable

from django.db.models import F, Q, QuerySet

from catalog.models import Product


def list_products_for_shoppers(*, query: str = "") -> QuerySet[Product]:
    """Active products with their stock, optionally matching `query` in name, SKU or text."""
    qs = (
        Product.objects.filter(is_active=True)
        .select_related("stock")
        .annotate(available=F("stock__on_hand") - F("stock__reserved"))
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(sku__iexact=query) | Q(description__icontains=query))
    return qs.order_by("name", "id")


def get_product_for_shoppers(*, slug: str) -> Product:
    return list_products_for_shoppers().get(slug=slug)


def get_active_product_ids_by_sku(*, skus: Iterable[str]) -> dict[str, int]:
    """Map the SKUs of active products to their ids; unknown or inactive SKUs are left out."""
    return dict(Product.objects.filter(sku__in=set(skus), is_active=True).values_list("sku", "id"))

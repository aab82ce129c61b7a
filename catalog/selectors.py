from collections.abc import Iterable

from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from modeltranslation import settings as mt_settings

from catalog.models import Product

SEARCHED_TEXTS = ("name_uk", "name_en", "description_uk", "description_en")


def list_products_for_shoppers(*, query: str = "") -> QuerySet[Product]:
    """Active products with their stock, by name in the active language.

    `query` matches a SKU, or words in the name or description in either language, whatever
    the page's language: a shopper on the English page who types "чай" finds the tea. Each
    text has a trigram index (catalog.models), so the search stays an index scan.
    """
    qs = (
        Product.objects.filter(is_active=True)
        .select_related("stock")
        .annotate(available=F("stock__on_hand") - F("stock__reserved"), display_name=_display_name())
    )
    query = (query or "").strip()
    if query:
        matches = Q(sku__iexact=query)
        for field in SEARCHED_TEXTS:
            matches |= Q(**{f"{field}__icontains": query})
        qs = qs.filter(matches)
    return qs.order_by("display_name", "id")


def _display_name():
    """The name shoppers see: the active language's, else the Ukrainian one (as `product.name`)."""
    default = mt_settings.DEFAULT_LANGUAGE
    language = (get_language() or default).split("-")[0]
    if language == default or language not in mt_settings.AVAILABLE_LANGUAGES:
        return F(f"name_{default}")
    return Coalesce(NullIf(F(f"name_{language}"), Value("")), F(f"name_{default}"), output_field=CharField())


def get_product_for_shoppers(*, slug: str) -> Product:
    return list_products_for_shoppers().get(slug=slug)


def get_active_product_ids_by_sku(*, skus: Iterable[str]) -> dict[str, int]:
    """Map the SKUs of active products to their ids; unknown or inactive SKUs are left out."""
    return dict(Product.objects.filter(sku__in=set(skus), is_active=True).values_list("sku", "id"))

"""Shopper pages of the catalog: the product list with search, and one product."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog.models import Product
from catalog.selectors import get_product_for_shoppers, list_products_for_shoppers
from orders.forms import AddToCartForm

PRODUCTS_PER_PAGE = 12
MAX_QUERY_LENGTH = 100


def product_list(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    if "\x00" in query:  # PostgreSQL refuses NUL in text: a 400 that says so, not a 500
        messages.error(request, _("The search contains a character that cannot be searched for; type it again."))
        page = Paginator(Product.objects.none(), PRODUCTS_PER_PAGE).get_page(1)
        context = {"page": page, "products": page.object_list, "query": ""}
        return render(request, "catalog/product_list.html", context, status=400)
    page = Paginator(list_products_for_shoppers(query=query), PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "catalog/product_list.html", {"page": page, "products": page.object_list, "query": query})


def product_detail(request, slug: str):
    try:
        product = get_product_for_shoppers(slug=slug)
    except Product.DoesNotExist:
        raise Http404(_("No such product."))
    form = AddToCartForm(initial={"product_id": product.pk, "quantity": 1})
    return render(request, "catalog/product_detail.html", {"product": product, "form": form})

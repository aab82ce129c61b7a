"""Helpers for the shop-page language tests: what a person reads on a page, and the pages."""

from html.parser import HTMLParser

from django.test import Client

from orders.models import Order
from tests.factories import ProductFactory, UserFactory, np_branch, place_test_order

# Leftover English a Ukrainian page must never show (visible text and accessible names).
ENGLISH_PHRASES = [
    "Add to cart",
    "Checkout",
    "Check out",
    "Log in",
    "Log out",
    "Sign up",
    "My orders",
    "Store credit",
    "Search products",
    "Your cart",
    "Skip to content",
    "Page not found",
    "In stock",
    "Out of stock",
    "Total",
    "Quantity",
    "Place order",
    "Please fix",
    "Continue to payment",
    "Something went wrong",
    "Too many",
    "Back to the shop",
    "Delivery",
    "Payment",
    "Nova Poshta",
    "item",
    "Order ",
    "Enter ",
    "Choose ",
    " the ",
]

NAME_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-busy-text")


class _Reader(HTMLParser):
    """Collects the text a person reads or hears: text nodes and accessible-name attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in NAME_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and dict(attrs).get("type") in ("submit", "button"):
                self.parts.append(value or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def readable_text(response) -> str:
    """The page as a person reads it (one line), without the shopper's own data in inputs."""
    reader = _Reader()
    reader.feed(response.content.decode())
    return " ".join(reader.parts)


def english_left(response, *, allowed=()) -> list[str]:
    """The known English phrases the page still shows (shop-name, product and data excluded)."""
    text = readable_text(response)
    for phrase in allowed:
        text = text.replace(phrase, "")
    # The language switch names English in English, as every shop does.
    text = text.replace("English", "")
    return [phrase for phrase in ENGLISH_PHRASES if phrase in text]


def ukrainian_product(**fields):
    defaults = {"name": "Мідний чайник", "slug": "midnyi-chainyk", "sku": "KET-001", "price": 129900, "stock": 5}
    return ProductFactory(**{**defaults, **fields})


def ukrainian_order(*, product=None, quantity=2, **kwargs) -> Order:
    product = product or ukrainian_product()
    details = {
        "full_name": "Олена Шевченко",
        "delivery_city": "Київ",
        "delivery_branch": "Відділення №1: вул. Хрещатик, 22",
        "comment": "Зателефонуйте після 18:00",
    }
    return place_test_order(items={product.pk: quantity}, **{**details, **kwargs})


def checkout_post(client: Client) -> dict:
    """The checkout form as the page gives it, filled in with a real directory branch."""
    branch = np_branch()
    page = client.get("/checkout/")
    return {
        "checkout_token": page.context["form"]["checkout_token"].value(),
        "full_name": "Олена Шевченко",
        "phone": "067 123 45 67",
        "email": "olena@example.com",
        "delivery_city": branch.city.name,
        "delivery_city_ref": branch.city.ref,
        "delivery_branch": branch.name,
        "delivery_warehouse_ref": branch.ref,
        "payment_method": Order.PaymentMethod.COD.value,
        "comment": "",
    }


def customer(client: Client):
    user = UserFactory(email="olena@example.com", full_name="Олена Шевченко")
    client.force_login(user)
    return user

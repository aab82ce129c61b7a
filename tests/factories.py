"""Factories shared by every app's tests. Orders are made through the real checkout service."""

import uuid

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from catalog.models import Product, Stock
from directory.models import City, Warehouse
from orders.models import Order, Source
from orders.services import new_checkout_token, place_order

DEMO_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    full_name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+380{670000000 + n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """A staff member; `StaffFactory(role="Support")` puts them in that role's group."""

    email = factory.Sequence(lambda n: f"staff{n}@kramar.local")
    is_staff = True

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=extracted))


class ProductFactory(factory.django.DjangoModelFactory):
    """A product with a stock row; `ProductFactory(stock=3)` puts 3 units on hand."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine thing."
    price = 49900
    weight_grams = 500

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):
        if create:
            Stock.objects.create(product=obj, on_hand=10 if extracted is None else extracted)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # `name` and `description` are the Ukrainian texts whatever language a test has active
        # (modeltranslation would give them to the active one); pass `name_en=` for English.
        for field in ("name", "description"):
            if field in kwargs:
                kwargs.setdefault(f"{field}_uk", kwargs.pop(field))
        return kwargs


def place_test_order(
    *,
    items: dict | None = None,
    customer=None,
    payment_method: str = Order.PaymentMethod.COD,
    checkout_token: str | None = None,
    source: str = Source.WEB,
    **contact,
) -> Order:
    """Place an order through the checkout service with sensible contact details."""
    if items is None:
        items = {ProductFactory(stock=10).pk: 1}
    details = {
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1: Khreshchatyk St, 22",
    }
    details.update(contact)
    order, _ = place_order(
        customer=customer,
        payment_method=payment_method,
        items=items,
        checkout_token=checkout_token or new_checkout_token(),
        source=source,
        **details,
    )
    return order


def np_branch(city_name: str = "Київ", number: str = "1", **fields) -> Warehouse:
    """A Nova Poshta branch (and its city) in the directory; the same names give the same rows.

    `fields` override the branch's own: kind="parcel_locker", is_active=False, name=...
    """
    city, _ = City.objects.get_or_create(
        ref=str(uuid.uuid5(uuid.NAMESPACE_URL, f"np-test-city:{city_name}")),
        defaults={"name": city_name, "area": f"{city_name}ська"},
    )
    defaults = {"city": city, "number": number, "name": f"Відділення №{number}: вул. Хрещатик, {number}", **fields}
    warehouse, _ = Warehouse.objects.update_or_create(
        ref=str(uuid.uuid5(uuid.NAMESPACE_URL, f"np-test-branch:{city_name}:{number}")), defaults=defaults
    )
    return warehouse

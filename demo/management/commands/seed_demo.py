"""Load demo data: the Nova Poshta directory, products with stock, staff of every role, a
customer and a few orders delivered to real directory branches.

Idempotent: everything is found by a natural key (SKU, e-mail, checkout token, a directory
that has cities) and left alone when it is already there, so `make run` can call it on every
start and staff edits to demo data survive a restart.
"""

import os

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from accounts import roles
from accounts.models import User
from catalog.models import Product
from catalog.services import create_product, set_product_texts
from demo.products import DESCRIPTIONS, INACTIVE_SKUS, PRODUCTS
from directory.models import City, Warehouse
from orders.models import Order, Source
from orders.services import confirm_order, place_order
from shipping.carriers import get_carrier
from shipping.carriers.base import CarrierError
from shipping.directory import sync_directory

DEFAULT_PASSWORD = "kramar-demo"

ADMIN_EMAIL = "admin@kramar.local"
CUSTOMER_EMAIL = "customer@kramar.local"
STAFF = {
    "support@kramar.local": ("Оксана Мельник", roles.SUPPORT),
    "warehouse@kramar.local": ("Тарас Бондаренко", roles.WAREHOUSE),
    "finance@kramar.local": ("Ірина Ткаченко", roles.FINANCE),
    "manager@kramar.local": ("Андрій Ковальчук", roles.MANAGER),
}

CUSTOMER_CONTACT = {
    "full_name": "Олена Шевченко",
    "phone": "+380671234567",
    "email": CUSTOMER_EMAIL,
}
# (checkout token, {SKU: quantity}, confirm it as staff would after a phone call?,
#  (Nova Poshta city, branch number)): branches the sandbox carrier's directory has.
ORDERS = [
    ("demo-order-1", {"KR-KIT-002": 1, "KR-KIT-004": 2}, True, ("Київ", "2")),
    ("demo-order-2", {"KR-TEA-001": 1}, False, ("Львів", "3")),
    ("demo-order-3", {"KR-HOM-003": 1, "KR-HOM-004": 2, "KR-TEA-002": 2}, False, ("Одеса", "2")),
]


class Command(BaseCommand):
    help = (
        "Load demo data (products, staff of every role, a customer, a few orders). Safe to run "
        "again: what exists is left alone. Passwords: --password, else $DEMO_PASSWORD, else "
        f"'{DEFAULT_PASSWORD}'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD,
            help=f"Password of every demo user created now (default: $DEMO_PASSWORD or '{DEFAULT_PASSWORD}').",
        )

    def handle(self, *args, password, **options):
        self._directory()  # its own transactions, page by page, like the daily sync
        with transaction.atomic():
            self._products()
            self._users(password)
            self._orders()

    def _report(self, what: str, created: int, total: int) -> None:
        self.stdout.write(f"{what}: {created} created, {total - created} already there")

    def _directory(self) -> None:
        """Fill an empty directory from the carrier (the sandbox's small one without an API key).

        A directory that has cities is left to the daily sync: the real one is large.
        """
        cities = City.objects.count()
        if cities:
            self.stdout.write(f"directory: {cities} cities already there")
            return
        carrier = get_carrier()
        try:
            counts = sync_directory(carrier=carrier)
        except CarrierError as exc:
            self.stderr.write(
                f"directory: could not download it from {carrier.code} ({exc}); demo orders get no "
                "branch, and `manage.py sync_novaposhta` fills it later"
            )
            return
        self.stdout.write(
            f"directory: {counts['cities']} cities and {counts['warehouses']} branches synced from {carrier.code}"
        )

    def _products(self) -> None:
        existing = {p.sku: p for p in Product.objects.filter(sku__in=[p[0] for p in PRODUCTS])}
        created = translated = 0
        for sku, name, name_en, price, weight, on_hand in PRODUCTS:
            description, description_en = DESCRIPTIONS[sku]
            product = existing.get(sku)
            if product is None:
                create_product(
                    sku=sku,
                    name=name,
                    name_en=name_en,
                    slug=slugify(name_en),
                    price=price,
                    on_hand=on_hand,
                    weight_grams=weight,
                    description=description,
                    description_en=description_en,
                    is_active=sku not in INACTIVE_SKUS,
                )
                created += 1
            elif product.name_uk == name_en and not product.name_en and product.description_uk == description_en:
                # Loaded in English before the shop spoke Ukrainian (migration 0005 copied the
                # English texts into the Ukrainian columns) and untouched since: give it its texts.
                set_product_texts(
                    product_id=product.pk,
                    name=name,
                    name_en=name_en,
                    description=description,
                    description_en=description_en,
                )
                translated += 1
        self._report("products", created, len(PRODUCTS))
        if translated:
            self.stdout.write(f"products: {translated} loaded in English before now have their Ukrainian texts")

    def _user(self, email: str, password: str, **fields) -> tuple[User, bool]:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            return user, False
        if fields.pop("is_superuser", False):
            return User.objects.create_superuser(email, password, **fields), True
        return User.objects.create_user(email, password, **fields), True

    def _users(self, password: str) -> None:
        created = 0
        _, new = self._user(ADMIN_EMAIL, password, full_name="Адміністратор Крамаря", is_superuser=True)
        created += new
        for email, (full_name, role) in STAFF.items():
            user, new = self._user(email, password, full_name=full_name, is_staff=True)
            created += new
            if new:
                user.groups.add(Group.objects.get(name=role))
        _, new = self._user(
            CUSTOMER_EMAIL, password, full_name=CUSTOMER_CONTACT["full_name"], phone=CUSTOMER_CONTACT["phone"]
        )
        created += new
        self._report("users", created, 2 + len(STAFF))

    def _orders(self) -> None:
        customer = User.objects.get(email=CUSTOMER_EMAIL)
        manager = User.objects.get(email="manager@kramar.local")
        products = dict(Product.objects.filter(sku__in=[p[0] for p in PRODUCTS]).values_list("sku", "pk"))
        created = 0
        for token, items, confirm, (city, number) in ORDERS:
            # The checkout token makes place_order itself idempotent: a second run gets the
            # order the first one made (created=False) and touches no stock.
            order, new = place_order(
                customer=customer,
                payment_method=Order.PaymentMethod.COD,
                items={products[sku]: qty for sku, qty in items.items()},
                checkout_token=token,
                source=Source.SYSTEM,
                comment="Демо-замовлення",
                **CUSTOMER_CONTACT,
                **self._delivery(city, number),
            )
            if new and confirm:
                confirm_order(
                    order_id=order.pk,
                    by=manager,
                    reason="Зателефонували покупцеві: замовлення підтверджено",
                    source=Source.ADMIN,
                )
            created += new
        self._report("orders", created, len(ORDERS))

    @staticmethod
    def _delivery(city: str, number: str) -> dict:
        """The branch's names and Refs, as the checkout stores them; its city's first branch if
        that number is not in the directory; free text only when the directory is empty."""
        branches = Warehouse.objects.filter(city__name=city, is_active=True).select_related("city")
        branch = branches.filter(number=number).first() or branches.order_by("kind", "number").first()
        if branch is None:
            return {"delivery_city": city, "delivery_branch": f"Відділення №{number}"}
        return {
            "delivery_city": branch.city.name,
            "delivery_branch": branch.name,
            "delivery_city_ref": branch.city_id,
            "delivery_warehouse_ref": branch.ref,
        }

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
from catalog.services import create_product
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
    "support@kramar.local": ("Oksana Melnyk", roles.SUPPORT),
    "warehouse@kramar.local": ("Taras Bondarenko", roles.WAREHOUSE),
    "finance@kramar.local": ("Iryna Tkachenko", roles.FINANCE),
    "manager@kramar.local": ("Andrii Kovalchuk", roles.MANAGER),
}

# (SKU, name, price in kopiyky, weight in grams, units on hand)
PRODUCTS = [
    ("KR-KIT-001", "Poltava Clay Cooking Pot, 1.5 l", 64900, 1800, 24),
    ("KR-KIT-002", "Borshch Pot, Enamel, 5 l", 89900, 2100, 31),
    ("KR-KIT-003", "Kyiv Cast-Iron Skillet, 26 cm", 119900, 2900, 12),
    ("KR-KIT-004", "Varenyky Mould, Aluminium", 24900, 350, 47),
    ("KR-KIT-005", "Petrykivka Painted Cutting Board", 54900, 900, 8),
    ("KR-KIT-006", "Hutsul Wooden Spoon Set (5 pcs)", 32900, 300, 40),
    ("KR-KIT-007", "Zaporizhzhia Chef's Knife Set, 5 pcs", 249900, 1600, 6),
    ("KR-KIT-008", "Kryvyi Rih Stainless Steel Ladle", 18900, 250, 50),
    ("KR-KIT-009", "Volyn Rye Bread Proofing Basket", 42900, 400, 15),
    ("KR-KIT-010", "Kherson Watermelon Slicer", 21900, 300, 0),
    ("KR-KIT-011", "Poltava Halushky Steamer Basket", 27900, 450, 19),
    ("KR-KIT-012", "Rivne Amber Salt and Pepper Mills", 69900, 700, 11),
    ("KR-KIT-013", "Cherkasy Waffle Iron", 139900, 2300, 9),
    ("KR-TEA-001", "Lviv Coffee Hand Grinder", 159900, 650, 14),
    ("KR-TEA-002", "Opishnia Ceramic Mug, 350 ml", 29900, 400, 36),
    ("KR-TEA-003", "Zakarpattia Herbal Tea Tin", 19900, 150, 44),
    ("KR-TEA-004", "Chernihiv Honey Jar with Wooden Dipper", 34900, 600, 22),
    ("KR-TEA-005", "Mykolaiv Vacuum Flask, 1 l", 79900, 550, 0),
    ("KR-HOM-001", "Carpathian Wool Blanket, 140x200", 279900, 1900, 7),
    ("KR-HOM-002", "Odesa Linen Tablecloth, 150x220", 149900, 800, 13),
    ("KR-HOM-003", "Embroidered Kitchen Towels (set of 3)", 44900, 350, 28),
    ("KR-HOM-004", "Bukovyna Beeswax Candles (pair)", 22900, 300, 33),
    ("KR-HOM-005", "Ternopil Felted Wool Slippers", 59900, 500, 18),
    ("KR-HOM-006", "Sorochyntsi Fair Linen Apron", 39900, 250, 25),
    ("KR-GAD-001", "Dnipro Glass Electric Kettle, 1.7 l", 109900, 1400, 20),
    ("KR-GAD-002", "Kharkiv Power Bank, 20000 mAh", 99900, 420, 30),
    ("KR-GAD-003", "Vinnytsia USB-C Charger, 65 W", 89900, 180, 27),
    ("KR-GAD-004", "Uzhhorod Bluetooth Speaker", 129900, 600, 10),
    ("KR-GAD-005", "Sumy Smart LED Bulb, E27", 27900, 100, 42),
    ("KR-GAD-006", "Ivano-Frankivsk Rechargeable Desk Lamp", 74900, 900, 16),
]
DESCRIPTIONS = {
    "KR-KIT-001": "Hand-thrown clay pot for oven stews and baked porridge.",
    "KR-KIT-002": "Deep enamel pot with a glass lid, big enough for a family's borshch.",
    "KR-KIT-003": "Pre-seasoned cast iron that goes from the stove into the oven.",
    "KR-KIT-004": "Makes 37 varenyky at once; dumpling night without the pinching.",
    "KR-KIT-005": "Beech board with hand-painted Petrykivka flowers on the back.",
    "KR-KIT-006": "Carved sycamore spoons and spatulas from the Carpathians.",
    "KR-KIT-007": "Forged steel knives in an oak block.",
    "KR-KIT-008": "One-piece ladle with a pouring lip and a hanging hook.",
    "KR-KIT-009": "Rattan banneton for round rye loaves, with a linen liner.",
    "KR-KIT-010": "Cuts a watermelon into even wedges in one press.",
    "KR-KIT-011": "Stainless steamer basket that fits pots from 18 to 24 cm.",
    "KR-KIT-012": "A pair of ceramic-burr mills with amber-coloured acrylic bodies.",
    "KR-KIT-013": "Makes four thin Viennese waffles at a time; non-stick plates.",
    "KR-TEA-001": "Conical steel burrs, 40 grind settings, for a proper Lviv cup.",
    "KR-TEA-002": "Glazed mug from the pottery village of Opishnia.",
    "KR-TEA-003": "Mountain thyme, mint and linden blossom, 100 g.",
    "KR-TEA-004": "Glass jar with a beech dipper; honey not included.",
    "KR-TEA-005": "Keeps tea hot for 24 hours on the longest train ride.",
    "KR-HOM-001": "Thick sheep-wool blanket woven in the Hutsul tradition.",
    "KR-HOM-002": "Stonewashed linen in sea-grey, for long summer dinners.",
    "KR-HOM-003": "Cotton towels with red-and-black vyshyvanka borders.",
    "KR-HOM-004": "Hand-rolled beeswax candles that smell of honey.",
    "KR-HOM-005": "Felted slippers with leather soles, sizes 36 to 46.",
    "KR-HOM-006": "Linen apron with a deep pocket and adjustable straps.",
    "KR-GAD-001": "Borosilicate glass kettle with a blue light and auto shut-off.",
    "KR-GAD-002": "Charges a phone five times over; USB-C in and out.",
    "KR-GAD-003": "GaN charger for a laptop and a phone at once.",
    "KR-GAD-004": "Splash-proof speaker with 12 hours of play.",
    "KR-GAD-005": "Dimmable, warm-to-cool white, works with a phone app.",
    "KR-GAD-006": "Runs 8 hours on battery when the power goes out.",
}
# No longer sold: shoppers must not see it, staff still can.
INACTIVE_SKUS = {"KR-GAD-006"}

CUSTOMER_CONTACT = {
    "full_name": "Olena Shevchenko",
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
        existing = set(Product.objects.filter(sku__in=[p[0] for p in PRODUCTS]).values_list("sku", flat=True))
        created = 0
        for sku, name, price, weight, on_hand in PRODUCTS:
            if sku in existing:
                continue
            create_product(
                sku=sku,
                name=name,
                slug=slugify(name),
                price=price,
                on_hand=on_hand,
                weight_grams=weight,
                description=DESCRIPTIONS[sku],
                is_active=sku not in INACTIVE_SKUS,
            )
            created += 1
        self._report("products", created, len(PRODUCTS))

    def _user(self, email: str, password: str, **fields) -> tuple[User, bool]:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            return user, False
        if fields.pop("is_superuser", False):
            return User.objects.create_superuser(email, password, **fields), True
        return User.objects.create_user(email, password, **fields), True

    def _users(self, password: str) -> None:
        created = 0
        _, new = self._user(ADMIN_EMAIL, password, full_name="Kramar Admin", is_superuser=True)
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
                comment="Demo order",
                **CUSTOMER_CONTACT,
                **self._delivery(city, number),
            )
            if new and confirm:
                confirm_order(
                    order_id=order.pk, by=manager, reason="Called the shopper: confirmed", source=Source.ADMIN
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

"""Every write to products and stock."""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.exceptions import InvalidStockChange, OutOfStock, ProductUnavailable
from catalog.models import Product, Reservation, Stock

TEXT_COLUMNS = ("name_uk", "name_en", "description_uk", "description_en")


def lock_stock(product_ids) -> dict[int, Stock]:
    """Lock the stock rows of these products in primary-key order (the global lock order)."""
    rows = Stock.objects.select_for_update().filter(product_id__in=set(product_ids)).order_by("product_id")
    return {row.product_id: row for row in rows}


@transaction.atomic
def reserve_stock(*, reference: str, quantities: Mapping[int, int]) -> list[Reservation]:
    """Reserve `quantities` ({product_id: units}) for `reference`, all or nothing.

    Locks the stock rows in product-id order and checks availability inside the lock, so
    concurrent buyers of the last unit cannot oversell. Raises OutOfStock (nothing reserved)
    naming every product that is short.
    """
    if not quantities or any(q <= 0 for q in quantities.values()):
        raise InvalidStockChange(_("Quantities must be positive."))
    stocks = lock_stock(quantities)
    products = Product.objects.in_bulk(list(quantities))
    short = []
    for product_id, wanted in sorted(quantities.items()):
        product = products.get(product_id)
        if product is None or not product.is_active:
            raise ProductUnavailable(
                _("Product %(product)s is no longer sold.") % {"product": product.name if product else product_id}
            )
        stock = stocks.get(product_id)
        available = stock.available if stock else 0
        if wanted > available:
            short.append({"sku": product.sku, "name": product.name, "requested": wanted, "available": available})
    if short:
        names = ", ".join(
            _("%(product)s (only %(available)s left)") % {"product": s["name"], "available": s["available"]}
            for s in short
        )
        raise OutOfStock(_("Not enough stock: %(products)s.") % {"products": names}, extra={"items": short})

    for product_id, wanted in quantities.items():
        Stock.objects.filter(pk=product_id).update(reserved=F("reserved") + wanted)
    return Reservation.objects.bulk_create(
        [Reservation(product_id=pid, reference=reference, quantity=q) for pid, q in sorted(quantities.items())]
    )


def _resolve_reservations(*, reference: str, status: str, consume: bool) -> int:
    reservations = list(
        Reservation.objects.select_for_update()
        .filter(reference=reference, status=Reservation.Status.ACTIVE)
        .order_by("product_id")
    )
    if not reservations:
        return 0
    lock_stock(r.product_id for r in reservations)
    for r in reservations:
        changes = {"reserved": F("reserved") - r.quantity}
        if consume:
            changes["on_hand"] = F("on_hand") - r.quantity
        Stock.objects.filter(pk=r.product_id).update(**changes)
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(status=status, resolved_at=timezone.now())
    return sum(r.quantity for r in reservations)


@transaction.atomic
def release_reservation(*, reference: str) -> int:
    """Give back the units still reserved for `reference`; return how many.

    Safe to call twice: only active reservations are released, under a row lock.
    """
    return _resolve_reservations(reference=reference, status=Reservation.Status.RELEASED, consume=False)


@transaction.atomic
def release_reservations(*, references: Iterable[str]) -> int:
    """Give back the units still reserved for many references at once (a Beat batch); return how many.

    The same as release_reservation for each, in four queries whatever the batch size: the
    reservations and their stock rows are locked (stock in product-id order, the global lock
    order), then one UPDATE each.
    """
    reservations = list(
        Reservation.objects.select_for_update()
        .filter(reference__in=list(references), status=Reservation.Status.ACTIVE)
        .order_by("product_id", "id")
    )
    if not reservations:
        return 0
    units: dict[int, int] = defaultdict(int)
    for r in reservations:
        units[r.product_id] += r.quantity
    lock_stock(units)
    Stock.objects.filter(pk__in=units).update(
        reserved=F("reserved") - Case(*(When(pk=pid, then=Value(q)) for pid, q in units.items()))
    )
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
        status=Reservation.Status.RELEASED, resolved_at=timezone.now()
    )
    return sum(units.values())


@transaction.atomic
def fulfil_reservation(*, reference: str) -> int:
    """Take the reserved units out of the warehouse (they left with a parcel)."""
    return _resolve_reservations(reference=reference, status=Reservation.Status.FULFILLED, consume=True)


@transaction.atomic
def restock(*, reference: str) -> int:
    """Put units that left with `reference` back on the shelf (a shipment that never went)."""
    reservations = list(
        Reservation.objects.select_for_update()
        .filter(reference=reference, status=Reservation.Status.FULFILLED)
        .order_by("product_id")
    )
    if not reservations:
        return 0
    lock_stock(r.product_id for r in reservations)
    for r in reservations:
        Stock.objects.filter(pk=r.product_id).update(on_hand=F("on_hand") + r.quantity)
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
        status=Reservation.Status.RELEASED, resolved_at=timezone.now()
    )
    return sum(r.quantity for r in reservations)


@transaction.atomic
def unfulfil_reservation(*, reference: str) -> int:
    """Undo fulfil_reservation: the units are back on the shelf, reserved for the same holder."""
    reservations = list(
        Reservation.objects.select_for_update()
        .filter(reference=reference, status=Reservation.Status.FULFILLED)
        .order_by("product_id")
    )
    if not reservations:
        return 0
    lock_stock(r.product_id for r in reservations)
    for r in reservations:
        Stock.objects.filter(pk=r.product_id).update(
            on_hand=F("on_hand") + r.quantity, reserved=F("reserved") + r.quantity
        )
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
        status=Reservation.Status.ACTIVE, resolved_at=None
    )
    return sum(r.quantity for r in reservations)


@transaction.atomic
def set_stock_on_hand(*, product_id: int, on_hand: int) -> Stock:
    """Set the counted units on hand; refused below what is already reserved."""
    if on_hand < 0:
        raise InvalidStockChange(_("Units on hand cannot be negative."))
    stock = lock_stock([product_id]).get(product_id)
    if stock is None:
        stock = Stock.objects.create(product_id=product_id, on_hand=0)
    if on_hand < stock.reserved:
        raise InvalidStockChange(
            ngettext(
                "%(count)s unit is reserved for open orders; on hand cannot go below that.",
                "%(count)s units are reserved for open orders; on hand cannot go below that.",
                stock.reserved,
            )
            % {"count": stock.reserved}
        )
    stock.on_hand = on_hand
    stock.save(update_fields=["on_hand", "updated_at"])
    return stock


@transaction.atomic
def create_product(
    *,
    sku: str,
    name: str,
    slug: str,
    price: int,
    on_hand: int = 0,
    description: str = "",
    name_en: str = "",
    description_en: str = "",
    **fields,
) -> Product:
    """Create a product with its stock row.

    `name` and `description` are the Ukrainian texts (the shop's language), whatever language
    is active; `name_en` and `description_en` their English translations, empty when there is
    none yet (the English pages then show the Ukrainian).
    """
    product = Product(
        sku=sku,
        name_uk=name,
        name_en=name_en,
        description_uk=description,
        description_en=description_en,
        slug=slug,
        price=price,
        **fields,
    )
    product.full_clean()
    product.save()
    Stock.objects.create(product=product, on_hand=on_hand)
    return product


@transaction.atomic
def set_product_texts(
    *, product_id: int, name: str, description: str, name_en: str = "", description_en: str = ""
) -> Product:
    """Replace a product's texts in both languages (`name`/`description` are the Ukrainian ones)."""
    product = Product.objects.select_for_update().get(pk=product_id)
    product.name_uk, product.name_en = name, name_en
    product.description_uk, product.description_en = description, description_en
    product.full_clean(exclude=["sku", "slug"])
    # `name`/`description`: the untranslated columns, kept the Ukrainian texts (Product.save).
    product.save(update_fields=[*TEXT_COLUMNS, "name", "description", "updated_at"])
    return product

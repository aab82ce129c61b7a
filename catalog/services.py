"""Every write to products and stock."""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import connection, transaction
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


def lock_stock_for_sale(product_ids) -> dict[int, Stock]:
    """Lock the stock rows of these products in primary-key order, with their products read in
    the same query (FOR UPDATE OF the stock rows only); checkout's one read of its products."""
    rows = (
        Stock.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(product_id__in=set(product_ids))
        .order_by("product_id")
    )
    return {row.product_id: row for row in rows}


def reserve_stock(*, reference: str, quantities: Mapping[int, int]) -> list[Reservation]:
    """Reserve `quantities` ({product_id: units}) for `reference`, all or nothing.

    Locks the stock rows in product-id order and checks availability inside the lock, so
    concurrent buyers of the last unit cannot oversell. Raises OutOfStock (nothing reserved)
    naming every product that is short. Call it inside the caller's transaction.
    """
    if not quantities or any(q <= 0 for q in quantities.values()):
        raise InvalidStockChange(_("Quantities must be positive."))
    return reserve_locked_stock(stocks=lock_stock_for_sale(quantities), reference=reference, quantities=quantities)


# One statement for every line: the rows are already locked (lock_stock_for_sale), so the
# UPDATE waits for nobody; the database's CHECK (reserved <= on_hand) still guards it.
_RESERVE_SQL = """
WITH moved AS (
    UPDATE catalog_stock AS s SET reserved = s.reserved + v.quantity, updated_at = %s
    FROM (VALUES {values}) AS v(product_id, quantity)
    WHERE s.product_id = v.product_id
    RETURNING s.product_id, v.quantity
)
INSERT INTO catalog_reservation (product_id, reference, quantity, status, created_at, resolved_at)
SELECT product_id, %s, quantity, %s, %s, NULL FROM moved ORDER BY product_id
RETURNING id, product_id, quantity
"""


def reserve_locked_stock(
    *, stocks: Mapping[int, Stock], reference: str, quantities: Mapping[int, int]
) -> list[Reservation]:
    """`reserve_stock` for rows the caller locked (with their products) through lock_stock_for_sale.

    Checks every product is sold and has the units, then moves all the rows and writes the
    reservations in one statement. Raises ProductUnavailable or OutOfStock with nothing changed.
    """
    short = []
    for product_id, wanted in sorted(quantities.items()):
        stock = stocks.get(product_id)
        product = stock.product if stock else None
        if product is None:
            product = Product.objects.filter(pk=product_id).first()  # the error path may cost a query
        if product is None or not product.is_active:
            raise ProductUnavailable(
                _("Product %(product)s is no longer sold.") % {"product": product.name if product else product_id}
            )
        available = stock.available if stock else 0
        if wanted > available:
            short.append({"sku": product.sku, "name": product.name, "requested": wanted, "available": available})
    if short:
        names = ", ".join(
            _("%(product)s (only %(available)s left)") % {"product": s["name"], "available": s["available"]}
            for s in short
        )
        raise OutOfStock(_("Not enough stock: %(products)s.") % {"products": names}, extra={"items": short})

    now = timezone.now()
    rows = sorted(quantities.items())
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(rows))
    params = [now, *[x for row in rows for x in row], reference, Reservation.Status.ACTIVE, now]
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL.format(values=values), params)
        written = cursor.fetchall()
    for product_id, wanted in rows:
        stock = stocks[product_id]
        stock.reserved += wanted
        stock.updated_at = now
    return [
        Reservation(pk=pk, product_id=product_id, reference=reference, quantity=quantity, created_at=now)
        for pk, product_id, quantity in written
    ]


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

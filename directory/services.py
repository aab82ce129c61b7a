"""Filling the directory from a carrier's pages (the sync; shipping hands it the carrier)."""

from collections.abc import Callable
from typing import Protocol

from django.db import transaction

from directory.models import City, Warehouse

PAGE_SIZE = 500


class DirectorySource(Protocol):
    """What the sync needs from a carrier adapter (shipping.carriers.base.Carrier has both)."""

    def cities(self, *, page: int, page_size: int) -> list: ...

    def warehouses(self, *, page: int, page_size: int) -> list: ...


def sync_directory(*, source: DirectorySource, progress: Callable[[str, int], None] | None = None) -> dict:
    """Fetch every city and warehouse page and upsert them; deactivate warehouses that vanished.

    `progress(kind, rows_so_far)` is called after each page (the management command draws a bar).
    """
    counts = {"cities": 0, "warehouses": 0, "deactivated": 0}
    page = 1
    while True:
        cities = source.cities(page=page, page_size=PAGE_SIZE)
        if not cities:
            break
        with transaction.atomic():
            for c in cities:
                City.objects.update_or_create(
                    ref=c.ref, defaults={"name": c.name, "area": c.area, "settlement_type": c.settlement_type}
                )
        counts["cities"] += len(cities)
        if progress:
            progress("cities", counts["cities"])
        page += 1
    known_cities = set(City.objects.values_list("ref", flat=True))
    seen: set[str] = set()
    page = 1
    while True:
        warehouses = source.warehouses(page=page, page_size=PAGE_SIZE)
        if not warehouses:
            break
        with transaction.atomic():
            for w in warehouses:
                if w.city_ref not in known_cities:
                    continue  # a branch of a city the directory did not list: skip, never guess
                Warehouse.objects.update_or_create(
                    ref=w.ref,
                    defaults={
                        "city_id": w.city_ref,
                        "number": w.number,
                        "name": w.name,
                        "kind": w.kind,
                        "max_weight_kg": w.max_weight_kg,
                        "is_active": w.is_active,
                    },
                )
                seen.add(w.ref)
        counts["warehouses"] += len(warehouses)
        if progress:
            progress("warehouses", counts["warehouses"])
        page += 1
    if seen:  # never wipe the directory because the carrier answered with nothing
        counts["deactivated"] = Warehouse.objects.filter(is_active=True).exclude(ref__in=seen).update(is_active=False)
    return counts

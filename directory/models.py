"""The Nova Poshta directory: cities and their branches and parcel lockers, kept in local tables.

It sits below orders (an order's delivery is checked against it) and below shipping (which
fills it from the carrier through `directory.services.sync_directory`).
"""

from django.db import models


class City(models.Model):
    """A Nova Poshta city: its *city* Ref (what waybills need), not the settlement Ref."""

    ref = models.CharField(max_length=36, primary_key=True)
    name = models.CharField(max_length=120, db_index=True)
    area = models.CharField(max_length=120, blank=True)
    settlement_type = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "cities"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.area})" if self.area else self.name


class Warehouse(models.Model):
    """A branch, parcel locker or cargo branch."""

    class Kind(models.TextChoices):
        BRANCH = "branch", "Branch"
        PARCEL_LOCKER = "parcel_locker", "Parcel locker"
        CARGO = "cargo", "Cargo branch"

    ref = models.CharField(max_length=36, primary_key=True)
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="warehouses")
    number = models.CharField(max_length=20)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    max_weight_kg = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["city", "number"]
        indexes = [models.Index(fields=["city", "is_active"], name="warehouse_city_active")]

    def __str__(self):
        return self.name

"""The Nova Poshta directory: cities and their branches and parcel lockers, kept in local tables.

It sits below orders (an order's delivery is checked against it) and below shipping (which
fills it from the carrier through `directory.services.sync_directory`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class City(models.Model):
    """A Nova Poshta city: its *city* Ref (what waybills need), not the settlement Ref."""

    ref = models.CharField(max_length=36, primary_key=True, verbose_name=_("ref"))
    name = models.CharField(max_length=120, db_index=True, verbose_name=_("name"))
    area = models.CharField(max_length=120, blank=True, verbose_name=_("area"))
    settlement_type = models.CharField(max_length=60, blank=True, verbose_name=_("settlement type"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.area})" if self.area else self.name


class Warehouse(models.Model):
    """A branch, parcel locker or cargo branch."""

    class Kind(models.TextChoices):
        BRANCH = "branch", pgettext_lazy("warehouse kind", "Branch")
        PARCEL_LOCKER = "parcel_locker", pgettext_lazy("warehouse kind", "Parcel locker")
        CARGO = "cargo", pgettext_lazy("warehouse kind", "Cargo branch")

    ref = models.CharField(max_length=36, primary_key=True, verbose_name=_("ref"))
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="warehouses", verbose_name=_("city"))
    number = models.CharField(max_length=20, verbose_name=_("number"))
    name = models.CharField(max_length=300, verbose_name=_("name"))
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BRANCH, verbose_name=_("kind"))
    max_weight_kg = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("max weight kg"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["city", "number"]
        indexes = [models.Index(fields=["city", "is_active"], name="warehouse_city_active")]

    def __str__(self):
        return self.name

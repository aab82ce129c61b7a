"""The Nova Poshta directory in the back office: read-only, the sync fills it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from directory.models import City, Warehouse


@admin.register(City)
class CityAdmin(ReadOnlyAdmin):
    list_display = ("name", "area", "settlement_type", "ref", "updated_at")
    list_filter = ("area",)
    search_fields = ("name", "=ref")
    search_help_text = _("Name (starting letters) or Nova Poshta Ref.")
    fields = ("ref", "name", "area", "settlement_type", "updated_at")


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ("number", "name", "city", "kind", "max_weight_kg", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("city",)
    search_fields = ("name", "city__name", "=number", "=ref")
    search_help_text = _("Address, city, branch number or Nova Poshta Ref.")
    fields = ("ref", "city", "number", "name", "kind", "max_weight_kg", "is_active", "updated_at")

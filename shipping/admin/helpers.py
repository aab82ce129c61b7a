"""What the shipping pages share: colours, which buttons can work, the cancel form, the queue filter."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from directory.models import City, Warehouse
from shipping.models import Shipment
from shipping.selectors import awaiting_hand_over
from shipping.services import KYIV, kyiv_today

S = Shipment.Status
MANAGE_PERMISSION = "shipping.manage_shipment"
MAX_LABELS_PER_PDF = 100  # the carrier's print URL lists every waybill; keep it a sane length
LAYOUTS = {"100x100": _("100x100 thermal"), "a4": "A4"}
STATUS_COLOURS = {
    S.PENDING: "#b26a00",
    S.CREATING: "#b26a00",
    S.LABEL_CREATED: "#1565c0",
    S.IN_TRANSIT: "#6a1b9a",
    S.ARRIVED: "#6a1b9a",
    S.DELIVERED: "#2e7d32",
    S.RETURNING: "#c62828",
    S.RETURNED: "#c62828",
    S.CANCELLED: "#757575",
    S.NEEDS_ATTENTION: "#c62828",
}


# What the services accept, so the page offers only buttons that can work; the services
# decide again under their locks.


def can_print(shipment: Shipment) -> bool:
    return bool(shipment.waybill_ref) and shipment.status != S.CANCELLED


def can_retry(shipment: Shipment) -> bool:
    return shipment.status == S.NEEDS_ATTENTION and not shipment.waybill_ref


def can_cancel(shipment: Shipment) -> bool:
    if shipment.status == S.LABEL_CREATED:
        return awaiting_hand_over(shipment)
    return shipment.status in (S.PENDING, S.NEEDS_ATTENTION)


class CancelParcelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required: the shopper and your colleagues will see why."),
    )


class QueueFilter(admin.SimpleListFilter):
    """The warehouse's day: what to label, what was labelled today, what a person must fix."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("to_label", _("To label")),
            ("labelled_today", _("Labelled today")),
            ("attention", _("Needs attention")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "to_label":
            return queryset.filter(status__in=[S.PENDING, S.CREATING])
        if self.value() == "labelled_today":
            start = datetime.combine(kyiv_today(), time.min, KYIV)  # the shop's day, not UTC's
            return queryset.filter(
                status=S.LABEL_CREATED, label_created_at__gte=start, label_created_at__lt=start + timedelta(days=1)
            )
        if self.value() == "attention":
            return queryset.filter(status=S.NEEDS_ATTENTION)
        return queryset


def directory_names(shipments) -> dict[int, tuple[str, str]]:
    """{shipment id: (city name, branch name)} for these shipments, in two queries at most."""
    cities = City.objects.in_bulk({s.city_ref for s in shipments if s.city_ref})
    warehouses = Warehouse.objects.in_bulk({s.warehouse_ref for s in shipments if s.warehouse_ref})
    return {
        s.pk: (
            cities[s.city_ref].name if s.city_ref in cities else "",
            warehouses[s.warehouse_ref].name if s.warehouse_ref in warehouses else "",
        )
        for s in shipments
    }


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Shipping in the back office: the parcel queue, label printing, retry and cancel.

Nothing here edits a shipment: every change goes through shipping.services, and every button
and action checks the manage_shipment permission again on the server, whatever the page showed.
Labels are fetched by our server and handed over as a PDF; the carrier's print URL (which
carries the API key) never reaches a browser. The directory is read-only: the sync fills it.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin import badge, phone_in_search
from core.exceptions import DomainError
from core.money import format_money
from shipping.models import City, Shipment, Warehouse
from shipping.services import KYIV, cancel_shipment, kyiv_today, label_pdf, retry_shipment, void_waybill

S = Shipment.Status
MANAGE_PERMISSION = "shipping.manage_shipment"
MAX_LABELS_PER_PDF = 100  # the carrier's print URL lists every waybill; keep it a sane length
LAYOUTS = {"100x100": "100x100 thermal", "a4": "A4"}
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
        return shipment.carrier_status_code in (None, 1)  # not handed over yet
    return shipment.status in (S.PENDING, S.NEEDS_ATTENTION)


class CancelParcelForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required: the shopper and your colleagues will see why.",
    )


class QueueFilter(admin.SimpleListFilter):
    """The warehouse's day: what to label, what was labelled today, what a person must fix."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("to_label", "To label"),
            ("labelled_today", "Labelled today"),
            ("attention", "Needs attention"),
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


class ReadOnlyModelAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyModelAdmin):
    list_display = (
        "marker",
        "order_link",
        "status_badge",
        "tracking_number",
        "carrier_status_text",
        "recipient",
        "destination",
        "cod_display",
        "attempts",
        "last_error_short",
        "label_created_at",
    )
    list_display_links = ("marker",)
    list_filter = ("status", "carrier", QueueFilter)
    list_select_related = ("order",)
    search_fields = ("=tracking_number", "marker", "order__number")
    search_help_text = "TTN, order number or the recipient's phone (any format)."
    date_hierarchy = "created_at"
    actions = ["download_labels_100x100", "download_labels_a4", "retry_selected", "void_waybills", "cancel_parcels"]
    MANAGE_ACTIONS = frozenset(actions)
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("marker", "order_link"),
                    ("status_badge", "carrier"),
                    ("tracking_number", "return_tracking_number"),
                    ("carrier_status_code", "carrier_status_text"),
                    "estimated_delivery",
                ]
            },
        ),
        ("Recipient", {"fields": ["recipient", "destination", "city_ref", "warehouse_ref"]}),
        ("Parcel", {"fields": ["weight_grams", "declared_value_display", "cod_display", "cost_display"]}),
        (
            "Label",
            {"fields": ["waybill_ref", "attempts", "last_error", "creating_since", "next_attempt_at"]},
        ),
        (
            "Timestamps",
            {
                "classes": ["collapse"],
                "fields": ["created_at", "label_created_at", "next_poll_at", "delivered_at", "updated_at"],
            },
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)
    change_form_template = "admin/shipping/shipment/change_form.html"

    # --- permissions ---------------------------------------------------------------------------

    def has_manage_permission(self, request):
        return request.user.has_perm(MANAGE_PERMISSION)

    def _require_manage(self, request, shipment=None):
        if not (self.has_view_permission(request, shipment) and self.has_manage_permission(request)):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        # Django answers an action the user may not run with "No action selected"; a forged
        # or stale POST for one of ours is refused outright instead.
        if (
            request.method == "POST"
            and request.POST.get("action") in self.MANAGE_ACTIONS
            and not self.has_manage_permission(request)
        ):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    # --- columns -------------------------------------------------------------------------------

    @admin.display(description="order", ordering="order__number")
    def order_link(self, shipment):
        url = reverse("admin:orders_order_change", args=[shipment.order_id])
        return format_html('<a href="{}">{}</a>', url, shipment.order.number)

    @admin.display(description="status", ordering="status")
    def status_badge(self, shipment):
        return badge(
            f"kr-status-{shipment.status}",
            STATUS_COLOURS.get(shipment.status, "#757575"),
            shipment.get_status_display(),
        )

    @admin.display(description="recipient")
    def recipient(self, shipment):
        return format_html("{}<br>{}", shipment.recipient_name, shipment.recipient_phone)

    @admin.display(description="city / branch")
    def destination(self, shipment):
        places = getattr(shipment, "kramar_places", None)
        if places is None:
            places = directory_names([shipment])
        city, branch = places.get(shipment.pk, ("", ""))
        if not (shipment.city_ref or shipment.warehouse_ref):
            return "— (not chosen)"
        return format_html(
            "{}<br>{}",
            city or f"unknown city {shipment.city_ref}",
            branch or f"unknown branch {shipment.warehouse_ref}",
        )

    @admin.display(description="COD", ordering="cod_amount")
    def cod_display(self, shipment):
        return format_money(shipment.cod_amount, shipment.order.currency) if shipment.cod_amount else "—"

    @admin.display(description="declared value")
    def declared_value_display(self, shipment):
        return format_money(shipment.declared_value, shipment.order.currency)

    @admin.display(description="delivery cost")
    def cost_display(self, shipment):
        return format_money(shipment.cost, shipment.order.currency) if shipment.cost is not None else "—"

    @admin.display(description="last error")
    def last_error_short(self, shipment):
        if not shipment.last_error:
            return ""
        return format_html('<span title="{}">{}</span>', shipment.last_error, Truncator(shipment.last_error).chars(80))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        shipments = list(changelist.result_list)  # evaluated once here; the page reuses these rows
        places = directory_names(shipments)
        for shipment in shipments:
            shipment.kramar_places = places
        return changelist

    def get_search_results(self, request, queryset, search_term):
        # A whole phone in any spelling finds that recipient; anything else is the usual search.
        phone = phone_in_search(search_term)
        if phone:
            return queryset.filter(recipient_phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    # --- change page buttons -------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_manage_permission(request):
            context["shipment_buttons"] = {
                "labels": [
                    {"label": f"Download label ({name})", "url": self._url("label", obj) + f"?layout={layout}"}
                    for layout, name in LAYOUTS.items()
                ]
                if can_print(obj)
                else [],
                "retry_url": self._url("retry", obj) if can_retry(obj) else "",
                "cancel_url": self._url("cancel", obj) if can_cancel(obj) else "",
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @staticmethod
    def _url(name: str, shipment: Shipment) -> str:
        return reverse(f"admin:shipping_shipment_{name}", args=[shipment.pk])

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/label/", view(self.label_view), name="shipping_shipment_label"),
            path("<path:object_id>/retry/", view(self.retry_view), name="shipping_shipment_retry"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="shipping_shipment_cancel"),
            *super().get_urls(),
        ]

    def _shipment_or_404(self, request, object_id) -> Shipment:
        shipment = self.get_object(request, unquote(object_id))
        if shipment is None:
            raise Http404("No such shipment.")
        return shipment

    def label_view(self, request, object_id):
        """The shipment's label as a PDF, fetched by the server."""
        shipment = self._shipment_or_404(request, object_id)
        self._require_manage(request, shipment)
        layout = request.GET.get("layout", "100x100")
        if shipment.status == S.CANCELLED:
            messages.error(request, "The parcel is cancelled: its waybill is no longer valid.")
            return HttpResponseRedirect(self._change_url(shipment))
        try:
            pdf = label_pdf(shipment_ids=[shipment.pk], layout=layout)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(self._change_url(shipment))
        return pdf_response(pdf, f"label-{shipment.tracking_number or shipment.marker}-{layout}.pdf")

    @staticmethod
    def _change_url(shipment: Shipment) -> str:
        return reverse("admin:shipping_shipment_change", args=[shipment.pk])

    def retry_view(self, request, object_id):
        """Send a shipment that needed attention back to the label queue."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        shipment = self._shipment_or_404(request, object_id)
        self._require_manage(request, shipment)
        try:
            retry_shipment(shipment_id=shipment.pk, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Shipment {shipment.marker} is back in the label queue.")
        return HttpResponseRedirect(self._change_url(shipment))

    def cancel_view(self, request, object_id):
        """Ask why, then stop the parcel: the order is cancelled and its waybill deleted."""
        shipment = self._shipment_or_404(request, object_id)
        self._require_manage(request, shipment)
        form = CancelParcelForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                cancelled = cancel_shipment(
                    shipment_id=shipment.pk, by=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                self._report_cancelled(request, [cancelled], [])
            return HttpResponseRedirect(self._change_url(shipment))
        return self._cancel_page(request, [shipment], form, bulk=False)

    def _cancel_page(self, request, shipments, form, *, bulk: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel parcels" if bulk else f"Cancel parcel {shipments[0].marker}",
            "opts": self.opts,
            "shipments": shipments,
            "form": form,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_parcels",
            "back_url": reverse("admin:shipping_shipment_changelist") if bulk else self._change_url(shipments[0]),
        }
        return TemplateResponse(request, "admin/shipping/shipment/cancel.html", context)

    # --- bulk actions --------------------------------------------------------------------------

    @admin.action(description="Download labels 100x100 (thermal printer)", permissions=["manage"])
    def download_labels_100x100(self, request, queryset):
        return self._labels(request, queryset, "100x100")

    @admin.action(description="Download labels A4", permissions=["manage"])
    def download_labels_a4(self, request, queryset):
        return self._labels(request, queryset, "a4")

    def _labels(self, request, queryset, layout: str):
        printable = list(
            queryset.exclude(waybill_ref="").exclude(status=S.CANCELLED).order_by("pk").values_list("pk", flat=True)
        )
        skipped = queryset.count() - len(printable)
        if not printable:
            self.message_user(request, "None of the selected shipments has a waybill yet.", messages.ERROR)
            return None
        if len(printable) > MAX_LABELS_PER_PDF:
            self.message_user(
                request,
                f"Print at most {MAX_LABELS_PER_PDF} labels at once; {len(printable)} selected.",
                messages.ERROR,
            )
            return None
        try:
            pdf = label_pdf(shipment_ids=printable, layout=layout)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        if skipped:
            # Shown on the next page: the file download leaves this one as it is.
            self.message_user(
                request,
                f"{skipped} of the selected shipments have no waybill (or were cancelled) and are not in the PDF.",
                messages.WARNING,
            )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return pdf_response(pdf, f"labels-{layout}-{stamp}.pdf")

    @admin.action(description="Retry selected (back to the label queue)", permissions=["manage"])
    def retry_selected(self, request, queryset):
        done, failed = [], []
        for shipment_id, marker in queryset.order_by("pk").values_list("pk", "marker"):
            try:
                retry_shipment(shipment_id=shipment_id, by=request.user)
            except DomainError as exc:
                failed.append(f"{marker} ({exc.message.rstrip('.')})")
            else:
                done.append(marker)
        message = f"{len(done)} back in the label queue"
        if done:
            message += f": {', '.join(done)}"
        if failed:
            message += f"; {len(failed)} not retried: {'; '.join(failed)}"
        level = messages.SUCCESS if not failed else messages.WARNING if done else messages.ERROR
        self.message_user(request, message + ".", level)

    @admin.action(description="Void waybill and make a new one (fix the order first)", permissions=["manage"])
    def void_waybills(self, request, queryset):
        done, failed = [], []
        for shipment_id, marker in queryset.order_by("pk").values_list("pk", "marker"):
            try:
                void_waybill(shipment_id=shipment_id, by=request.user, reason="Voided from the shipping queue")
            except DomainError as exc:
                failed.append(f"{marker} ({exc.message.rstrip('.')})")
            else:
                done.append(marker)
        if done:
            self.message_user(
                request,
                f"Voided {len(done)}: {', '.join(done)}; new waybills follow within a minute.",
                messages.SUCCESS,
            )
        if failed:
            self.message_user(request, f"{len(failed)} not voided: {'; '.join(failed)}.", messages.ERROR)

    @admin.action(description="Cancel parcel (cancels the order; asks for a reason)", permissions=["manage"])
    def cancel_parcels(self, request, queryset):
        form = CancelParcelForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, failed = [], []
            for shipment_id, marker in queryset.order_by("pk").values_list("pk", "marker"):
                try:
                    done.append(
                        cancel_shipment(shipment_id=shipment_id, by=request.user, reason=form.cleaned_data["reason"])
                    )
                except DomainError as exc:
                    failed.append(f"{marker} ({exc.message.rstrip('.')})")
            self._report_cancelled(request, done, failed)
            return None
        return self._cancel_page(request, list(queryset.select_related("order").order_by("pk")), form, bulk=True)

    def _report_cancelled(self, request, done: list[Shipment], failed: list[str]) -> None:
        """Say what happened to each parcel: cancelled, or still at the carrier and flagged."""
        cancelled = [s.marker for s in done if s.status == S.CANCELLED]
        flagged = [s.marker for s in done if s.status != S.CANCELLED]
        if cancelled:
            self.message_user(
                request, f"Cancelled {len(cancelled)} (orders too): {', '.join(cancelled)}.", messages.SUCCESS
            )
        if flagged:
            self.message_user(
                request,
                f"Orders cancelled, but {len(flagged)} parcels could not be stopped and need attention: "
                f"{', '.join(flagged)}.",
                messages.WARNING,
            )
        if failed:
            self.message_user(request, f"{len(failed)} not cancelled: {'; '.join(failed)}.", messages.ERROR)


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


@admin.register(City)
class CityAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "area", "settlement_type", "ref", "updated_at")
    list_filter = ("area",)
    search_fields = ("name", "=ref")
    search_help_text = "Name (starting letters) or Nova Poshta Ref."
    fields = ("ref", "name", "area", "settlement_type", "updated_at")


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "name", "city", "kind", "max_weight_kg", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("city",)
    search_fields = ("name", "city__name", "=number", "=ref")
    search_help_text = "Address, city, branch number or Nova Poshta Ref."
    fields = ("ref", "city", "number", "name", "kind", "max_weight_kg", "is_active", "updated_at")

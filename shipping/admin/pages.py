"""The shipment change page: its buttons and the label, retry and cancel pages behind them.

Every view checks the manage_shipment permission again on the server, whatever the page showed.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from core.admin import BulkReport
from core.exceptions import DomainError
from shipping.admin.helpers import LAYOUTS, CancelParcelForm, S, can_cancel, can_print, can_retry, pdf_response
from shipping.models import Shipment
from shipping.services import cancel_shipment, label_pdf, retry_shipment


class ShipmentPagesMixin:
    """The change page's buttons and the views they lead to (for ShipmentAdmin)."""

    # --- change page buttons -------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_manage_permission(request):
            context["shipment_buttons"] = {
                "labels": [
                    {
                        "label": gettext("Download label (%(layout)s)") % {"layout": name},
                        "url": self._url("label", obj) + f"?layout={layout}",
                    }
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
            raise Http404(gettext("No such shipment."))
        return shipment

    def label_view(self, request, object_id):
        """The shipment's label as a PDF, fetched by the server."""
        shipment = self._shipment_or_404(request, object_id)
        self._require_manage(request, shipment)
        layout = request.GET.get("layout", "100x100")
        if shipment.status == S.CANCELLED:
            messages.error(request, gettext("The parcel is cancelled: its waybill is no longer valid."))
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
            messages.success(
                request, gettext("Shipment %(marker)s is back in the label queue.") % {"marker": shipment.marker}
            )
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
                stopped = cancelled.status == S.CANCELLED
                report = BulkReport(
                    done=[cancelled.marker] if stopped else [], skipped=[] if stopped else [cancelled.marker]
                )
                self._report_cancelled(request, report)
            return HttpResponseRedirect(self._change_url(shipment))
        return self._cancel_page(request, [shipment], form, bulk=False)

    def _cancel_page(self, request, shipments, form, *, bulk: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel parcels")
            if bulk
            else gettext("Cancel parcel %(marker)s") % {"marker": shipments[0].marker},
            "opts": self.opts,
            "shipments": shipments,
            "form": form,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_parcels",
            "back_url": reverse("admin:shipping_shipment_changelist") if bulk else self._change_url(shipments[0]),
        }
        return TemplateResponse(request, "admin/shipping/shipment/cancel.html", context)

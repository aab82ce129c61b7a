"""Bulk actions on the shipping queue: labels as one PDF, retry, void, cancel.

Each row is its own service call (its own lock and transaction) through core.admin.act_on_each,
so one refused parcel never undoes the others; staff are told what happened to each one.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import BulkReport, act_on_each, message_bulk_report
from core.exceptions import DomainError
from shipping.admin.helpers import MAX_LABELS_PER_PDF, CancelParcelForm, S, pdf_response
from shipping.services import cancel_shipment, label_pdf, retry_shipment, void_waybill


def _rows(queryset):
    return queryset.order_by("pk").values_list("pk", "marker")


class ShipmentActionsMixin:
    """The changelist's bulk actions (for ShipmentAdmin); each needs manage_shipment."""

    @admin.action(description=_("Download labels 100x100 (thermal printer)"), permissions=["manage"])
    def download_labels_100x100(self, request, queryset):
        return self._labels(request, queryset, "100x100")

    @admin.action(description=_("Download labels A4"), permissions=["manage"])
    def download_labels_a4(self, request, queryset):
        return self._labels(request, queryset, "a4")

    def _labels(self, request, queryset, layout: str):
        printable = list(
            queryset.exclude(waybill_ref="").exclude(status=S.CANCELLED).order_by("pk").values_list("pk", flat=True)
        )
        skipped = queryset.count() - len(printable)
        if not printable:
            self.message_user(request, gettext("None of the selected shipments has a waybill yet."), messages.ERROR)
            return None
        if len(printable) > MAX_LABELS_PER_PDF:
            self.message_user(
                request,
                gettext("Print at most %(limit)s labels at once; %(count)s selected.")
                % {"limit": MAX_LABELS_PER_PDF, "count": len(printable)},
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
                ngettext(
                    "%(count)s of the selected shipments has no waybill (or was cancelled) and is not in the PDF.",
                    "%(count)s of the selected shipments have no waybill (or were cancelled) and are not in the PDF.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return pdf_response(pdf, f"labels-{layout}-{stamp}.pdf")

    @admin.action(description=_("Retry selected (back to the label queue)"), permissions=["manage"])
    def retry_selected(self, request, queryset):
        def retry(pk: int) -> None:
            retry_shipment(shipment_id=pk, by=request.user)

        message_bulk_report(
            self,
            request,
            act_on_each(_rows(queryset), retry),
            done=gettext("Back in the label queue ({count}): {rows}."),
            failed=gettext("Not retried ({count}): {rows}."),
        )

    @admin.action(description=_("Void waybill and make a new one (fix the order first)"), permissions=["manage"])
    def void_waybills(self, request, queryset):
        def void(pk: int) -> None:
            void_waybill(shipment_id=pk, by=request.user, reason=gettext("Voided from the shipping queue"))

        message_bulk_report(
            self,
            request,
            act_on_each(_rows(queryset), void),
            done=gettext("Voided ({count}): {rows}; new waybills follow within a minute."),
            failed=gettext("Not voided ({count}): {rows}."),
        )

    @admin.action(description=_("Cancel parcel (cancels the order; asks for a reason)"), permissions=["manage"])
    def cancel_parcels(self, request, queryset):
        form = CancelParcelForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            rows = list(_rows(queryset))
            stuck: set[int] = set()

            def cancel(pk: int) -> None:
                if (
                    cancel_shipment(shipment_id=pk, by=request.user, reason=form.cleaned_data["reason"]).status
                    != S.CANCELLED
                ):
                    stuck.add(pk)

            report = act_on_each(rows, cancel)
            still_at_carrier = {marker for pk, marker in rows if pk in stuck}
            report.skipped = [marker for marker in report.done if marker in still_at_carrier]
            report.done = [marker for marker in report.done if marker not in still_at_carrier]
            self._report_cancelled(request, report)
            return None
        return self._cancel_page(request, list(queryset.select_related("order").order_by("pk")), form, bulk=True)

    def _report_cancelled(self, request, report: BulkReport) -> None:
        """Say what happened to each parcel: cancelled, or still at the carrier and flagged.

        `report.skipped` holds the rows whose order was cancelled but whose parcel is already
        with the carrier (flagged for a person): a warning, not a failure.
        """
        message_bulk_report(
            self,
            request,
            report,
            done=gettext("Cancelled, orders too ({count}): {rows}."),
            failed=gettext("Not cancelled ({count}): {rows}."),
        )
        if report.skipped:
            self.message_user(
                request,
                gettext(
                    "Orders cancelled, but parcels could not be stopped and need attention ({count}): {rows}."
                ).format(count=len(report.skipped), rows=", ".join(report.skipped)),
                messages.WARNING,
            )

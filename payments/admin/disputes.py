"""The payments admin's dispute tools: a "Disputed" filter and two actions (Finance)."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import act_on_each, message_bulk_report
from payments.admin.forms import DisputeForm, ResolveDisputeForm
from payments.models import Payment
from payments.services import open_dispute, resolve_dispute


class DisputeFilter(admin.SimpleListFilter):
    title = _("dispute")
    parameter_name = "dispute"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Disputed")),
            ("won", _("Dispute won")),
            ("lost", _("Charged back")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status=Payment.Status.DISPUTED)
        if self.value() in ("won", "lost"):
            return queryset.filter(dispute_outcome=self.value())
        return queryset


class DisputeActions:
    """Mixed into PaymentAdmin: open a dispute with a reason, resolve one won or lost."""

    def has_dispute_permission(self, request):
        return request.user.has_perm("payments.dispute_payment")

    @admin.action(description=_("Mark selected payments disputed (asks for a reason)"), permissions=["dispute"])
    def mark_disputed(self, request, queryset):
        return self._dispute_action(
            request,
            queryset,
            action="mark_disputed",
            form_class=DisputeForm,
            title=gettext("Mark payments disputed"),
            intro=gettext("Refunds of these payments freeze until the dispute is resolved."),
            act=lambda payment_id, data: open_dispute(payment_id=payment_id, by=request.user, reason=data["reason"]),
            done=gettext("Marked disputed ({count}): {rows}."),
            failed=gettext("Not marked disputed ({count}): {rows}."),
        )

    @admin.action(description=_("Resolve disputes of selected payments (won or lost)"), permissions=["dispute"])
    def resolve_disputes(self, request, queryset):
        return self._dispute_action(
            request,
            queryset,
            action="resolve_disputes",
            form_class=ResolveDisputeForm,
            title=gettext("Resolve disputes"),
            intro=gettext(
                "Won: the payment is as it was before the dispute. Lost: the provider took the money back; "
                "it is booked as a chargeback loss and frozen refunds are cancelled."
            ),
            act=lambda payment_id, data: resolve_dispute(
                payment_id=payment_id, by=request.user, outcome=data["outcome"], note=data["note"]
            ),
            done=gettext("Resolved ({count}): {rows}."),
            failed=gettext("Not resolved ({count}): {rows}."),
        )

    def _dispute_action(self, request, queryset, *, action, form_class, title, intro, act, done, failed):
        form = form_class(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            rows = [(pk, str(reference)) for pk, reference in queryset.order_by("pk").values_list("pk", "reference")]
            report = act_on_each(rows, lambda payment_id: act(payment_id, data) and None)
            message_bulk_report(self, request, report, done=done, failed=failed)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.opts,
            "payments": queryset.order_by("pk"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": action,
        }
        return TemplateResponse(request, "admin/payments/payment/dispute.html", context)

"""Payments: read-only, with a Refund button and a review action that call services."""

import logging
import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, act_on_each, badge, message_bulk_report
from core.circuit import describe
from core.exceptions import DomainError
from core.large_lists import EstimatedCountPaginator, search_words, trigram_search
from core.money import format_money
from orders.models import ORDER_SEARCH_FIELDS, Order
from payments.admin.common import PAYMENT_COLOURS, ReadOnlyInline, order_link, result_badge, uuid_in
from payments.admin.disputes import DisputeActions, DisputeFilter
from payments.admin.forms import RefundForm, ReviewNoteForm
from payments.models import Payment, Refund, WebhookEvent
from payments.providers import enabled_codes
from payments.services import mark_payment_reviewed, request_refund
from payments.services.breaker import provider_states

logger = logging.getLogger(__name__)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("refund_link", "amount_display", "status", "automatic", "reason", "requested_by", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("refunds")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment", "requested_by")

    @admin.display(description=_("refund"))
    def refund_link(self, refund):
        url = reverse("admin:payments_refund_change", args=[refund.pk])
        return format_html('<a href="{}">#{}</a>', url, refund.pk)

    @admin.display(description=_("amount"))
    def amount_display(self, refund):
        return format_money(refund.amount, refund.payment.currency)


class WebhookEventInline(ReadOnlyInline):
    model = WebhookEvent
    fields = ("event_link", "received_at", "source", "provider_status", "result_badge", "attempts")
    readonly_fields = fields
    verbose_name_plural = _("webhook events")
    ordering = ("received_at", "id")

    @admin.display(description=_("event"))
    def event_link(self, event):
        url = reverse("admin:payments_webhookevent_change", args=[event.pk])
        return format_html('<a href="{}">#{}</a>', url, event.pk)

    @admin.display(description=_("result"))
    def result_badge(self, event):
        return result_badge(event)


@admin.register(Payment)
class PaymentAdmin(DisputeActions, ReadOnlyAdmin):
    list_display = (
        "reference",
        "order_number",
        "purpose",
        "provider",
        "status_badge",
        "amount_display",
        "captured_display",
        "refunded_display",
        "needs_review",
        "created_at",
    )
    list_filter = (
        "provider",
        "status",
        "purpose",
        "needs_review",
        DisputeFilter,
        "is_overpayment",
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("order", "customer")
    search_fields = ("order__number", "provider_payment_id", "order__email", "customer__email")
    search_help_text = _("Payment reference, order number, the provider's payment id, or the customer's e-mail.")
    # One or more per order: no date_hierarchy (the created_at filter instead), the unfiltered
    # total from the statistics, the filtered one counted once; search: get_search_results.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    inlines = [RefundInline, WebhookEventInline]
    actions = ["mark_reviewed", "mark_disputed", "resolve_disputes"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("reference", "status_badge"),
                    ("purpose", "provider"),
                    ("order_number", "customer"),
                    ("created_at", "captured_at"),
                ]
            },
        ),
        (
            _("Money"),
            {
                "fields": [
                    ("amount_display", "captured_display", "fee_display"),
                    ("refunded_display", "refund_requested_display", "refundable_display"),
                    "is_overpayment",
                ]
            },
        ),
        (_("Review"), {"fields": ["needs_review", "review_reason"]}),
        (
            _("Dispute"),
            {
                "fields": [
                    ("disputed_at", "disputed_by"),
                    "dispute_reason",
                    ("dispute_outcome", "dispute_resolved_at", "dispute_resolved_by"),
                    "dispute_note",
                    "charged_back_amount",
                ]
            },
        ),
        (
            _("At the provider"),
            {
                "fields": [
                    "provider_payment_id",
                    "last_provider_status",
                    "failure_reason",
                    "redirect_url",
                    ("last_checked_at", "updated_at"),
                ]
            },
        ),
    ]
    readonly_fields = (
        "reference",
        "status_badge",
        "purpose",
        "provider",
        "order_number",
        "customer",
        "created_at",
        "captured_at",
        "amount_display",
        "captured_display",
        "fee_display",
        "refunded_display",
        "refund_requested_display",
        "refundable_display",
        "is_overpayment",
        "needs_review",
        "review_reason",
        "disputed_at",
        "disputed_by",
        "dispute_reason",
        "dispute_outcome",
        "dispute_resolved_at",
        "dispute_resolved_by",
        "dispute_note",
        "charged_back_amount",
        "provider_payment_id",
        "last_provider_status",
        "failure_reason",
        "redirect_url",
        "last_checked_at",
        "updated_at",
    )

    # --- permissions ---------------------------------------------------------------------------

    def has_refund_permission(self, request):
        return request.user.has_perm("payments.refund_payment")

    # Clearing a review is a money decision (an overpayment kept, a mismatch explained): the
    # people who may refund may also close a review.
    has_review_permission = has_refund_permission

    # --- columns -------------------------------------------------------------------------------

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, payment):
        return order_link(payment)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, payment):
        return badge(
            f"kr-payment-{payment.status}", PAYMENT_COLOURS.get(payment.status, "#757575"), payment.get_status_display()
        )

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment):
        return format_money(payment.amount, payment.currency)

    @admin.display(description=_("captured"), ordering="captured_amount")
    def captured_display(self, payment):
        return format_money(payment.captured_amount, payment.currency)

    @admin.display(description=_("refunded"), ordering="refunded_amount")
    def refunded_display(self, payment):
        return format_money(payment.refunded_amount, payment.currency)

    @admin.display(description=_("refunds asked (not failed)"))
    def refund_requested_display(self, payment):
        return format_money(payment.refund_requested_amount, payment.currency)

    @admin.display(description=_("can still be refunded"))
    def refundable_display(self, payment):
        return format_money(payment.refundable, payment.currency)

    @admin.display(description=_("provider fee"))
    def fee_display(self, payment):
        return format_money(payment.fee, payment.currency)

    def changelist_view(self, request, extra_context=None):
        # One line per enabled provider: is its circuit breaker holding payments back?
        circuits = [
            {"name": state.name, "state": state.state, "line": describe(state)}
            for state in provider_states(enabled_codes())
        ]
        return super().changelist_view(request, {**(extra_context or {}), "provider_circuits": circuits})

    def get_search_results(self, request, queryset, search_term):
        # A whole reference finds that payment exactly (a UUID is not searched by substring).
        reference = uuid_in(search_term)
        if reference is not None:
            return queryset.filter(reference=reference), False
        # Each place a word is looked for has its own index (the order's trigram search, the
        # provider id's trigram index), so the payments are the union of index scans; an OR
        # across the joined tables would read every payment.
        for word in search_words(search_term):
            by_order = trigram_search(Order.objects.all(), ORDER_SEARCH_FIELDS, word).values("pk")
            matches = (
                Payment.objects.filter(order__in=by_order)
                .order_by()
                .values("pk")
                .union(
                    Payment.objects.filter(provider_payment_id__icontains=word).order_by().values("pk"),
                    Payment.objects.filter(customer__email__icontains=word).order_by().values("pk"),
                )
            )
            queryset = queryset.filter(pk__in=matches)
        return queryset, False

    # --- change view: the Refund button --------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_refund_permission(request) and obj.refundable > 0:
            context["refund_url"] = reverse("admin:payments_payment_refund", args=[obj.pk])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_urls(self):
        refund = path(
            "<path:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name="payments_payment_refund",
        )
        return [refund, *super().get_urls()]

    def refund_view(self, request, object_id):
        """Ask for an amount and a reason, then refund through payments.services."""
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            raise Http404(gettext("No such payment."))
        if not (self.has_view_permission(request, payment) and self.has_refund_permission(request)):
            raise PermissionDenied
        change_url = reverse("admin:payments_payment_change", args=[payment.pk])
        if request.method == "POST":
            form = RefundForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                key = f"admin-refund:{data['token']}"
                repeated = Refund.objects.filter(idempotency_key=key).exists()
                try:
                    refund = request_refund(
                        payment_id=payment.pk,
                        amount=data["amount"],
                        reason=data["reason"],
                        by=request.user,
                        idempotency_key=key,
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    self._report_refund(request, refund, repeated=repeated)
                    return HttpResponseRedirect(change_url)
        else:
            form = RefundForm(initial={"token": uuid.uuid4().hex})
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Refund payment %(reference)s") % {"reference": payment.reference},
            "opts": self.opts,
            "payment": payment,
            "form": form,
            "change_url": change_url,
            "captured": format_money(payment.captured_amount, payment.currency),
            "refunded": format_money(payment.refunded_amount, payment.currency),
            "refundable": format_money(payment.refundable, payment.currency),
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    def _report_refund(self, request, refund: Refund, *, repeated: bool) -> None:
        refund.refresh_from_db()  # the provider may have answered already (sent on commit)
        amount = format_money(refund.amount, refund.payment.currency)
        if repeated:
            text = gettext(
                "This refund form was already submitted: refund #%(id)s of %(amount)s is %(status)s; "
                "nothing more was done."
            )
            values = {"id": refund.pk, "amount": amount, "status": refund.get_status_display().lower()}
            self.message_user(request, text % values, messages.WARNING)
        elif refund.status == Refund.Status.SUCCEEDED:
            self.message_user(
                request,
                gettext("Refunded %(amount)s (refund #%(id)s).") % {"amount": amount, "id": refund.pk},
                messages.SUCCESS,
            )
        elif refund.status == Refund.Status.FAILED:
            text = gettext("The provider refused the refund of %(amount)s: %(message)s")
            self.message_user(request, text % {"amount": amount, "message": refund.provider_message}, messages.ERROR)
        else:
            text = gettext(
                "Refund of %(amount)s requested (refund #%(id)s); the payment shows it once %(provider)s confirms."
            )
            values = {"amount": amount, "id": refund.pk, "provider": refund.payment.provider}
            self.message_user(request, text % values, messages.SUCCESS)

    # --- bulk action ---------------------------------------------------------------------------

    @admin.action(description=_("Mark selected payments reviewed (asks for a note)"), permissions=["review"])
    def mark_reviewed(self, request, queryset):
        form = ReviewNoteForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            rows = [(pk, str(reference)) for pk, reference in queryset.order_by("pk").values_list("pk", "reference")]
            report = act_on_each(
                rows,
                lambda payment_id: mark_payment_reviewed(payment_id=payment_id, by=request.user, note=note) and None,
            )
            message_bulk_report(
                self,
                request,
                report,
                done=gettext("Marked reviewed ({count}): {rows}."),
                failed=gettext("Not marked reviewed ({count}): {rows}."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mark payments reviewed"),
            "opts": self.opts,
            "payments": queryset.order_by("pk"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "mark_reviewed",
        }
        return TemplateResponse(request, "admin/payments/payment/mark_reviewed.html", context)

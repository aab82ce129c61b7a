"""The webhook inbox, read-only, with a re-process action."""

import logging

from django.contrib import admin
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, act_on_each, message_bulk_report
from core.exceptions import DomainError
from core.large_lists import EstimatedCountPaginator
from payments.admin.common import as_json, payment_link, preformatted, result_badge, uuid_in
from payments.models import WebhookEvent
from payments.services import reprocess_event

logger = logging.getLogger(__name__)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "provider",
        "source",
        "provider_status",
        "event",
        "result_badge",
        "signature_valid",
        "payment_reference",
        "attempts",
    )
    list_display_links = ("received_at",)
    list_filter = ("provider", "result", "signature_valid", "source", ("received_at", admin.DateFieldListFilter))
    list_select_related = ("payment",)
    search_fields = ("dedupe_key",)
    search_help_text = _("Dedupe key, or a payment reference.")
    # Several events per payment: no date_hierarchy (the received_at filter instead), the
    # unfiltered total from the statistics, the filtered one counted once; the dedupe key is
    # searched through its trigram index.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["reprocess_selected"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("provider", "source"),
                    ("received_at", "processed_at"),
                    ("signature_valid", "remote_ip"),
                    ("event", "provider_status"),
                    "dedupe_key",
                    "payment_reference",
                    ("result_badge", "attempts"),
                    "result_detail_display",
                ]
            },
        ),
        (_("Verified update"), {"fields": ["update_display"]}),
        (_("As received"), {"fields": ["content_type", "headers_display", "raw_body_display"]}),
    ]
    readonly_fields = (
        "provider",
        "source",
        "received_at",
        "processed_at",
        "signature_valid",
        "remote_ip",
        "event",
        "provider_status",
        "dedupe_key",
        "payment_reference",
        "result_badge",
        "attempts",
        "result_detail_display",
        "update_display",
        "content_type",
        "headers_display",
        "raw_body_display",
    )

    def has_reprocess_permission(self, request):
        return request.user.has_perm("payments.reprocess_webhook")

    @admin.display(description=_("result"), ordering="result")
    def result_badge(self, event):
        return result_badge(event)

    @admin.display(description=pgettext_lazy("payment object", "payment"))
    def payment_reference(self, event):
        return payment_link(event.payment)

    @admin.display(description=_("result detail"))
    def result_detail_display(self, event):
        return preformatted(event.result_detail)

    @admin.display(description=_("update (provider-neutral)"))
    def update_display(self, event):
        return preformatted(as_json(event.update))

    @admin.display(description=_("headers"))
    def headers_display(self, event):
        return preformatted(as_json(event.headers))

    @admin.display(description=_("raw body"))
    def raw_body_display(self, event):
        return preformatted(event.raw_body)

    def get_search_results(self, request, queryset, search_term):
        reference = uuid_in(search_term)
        if reference is not None:
            return queryset.filter(payment__reference=reference), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Re-process selected events"), permissions=["reprocess"])
    def reprocess_selected(self, request, queryset):
        """Apply each event again through the service and report each one by its number."""
        rows = list(queryset.select_related(None).order_by("pk").values_list("pk", "signature_valid", "result"))
        # Applying a processed event again would change nothing but overwrite what it did first.
        done_already = (WebhookEvent.Result.PROCESSED, WebhookEvent.Result.IGNORED)
        todo = [(pk, f"#{pk}") for pk, valid, result in rows if valid and result not in done_already]
        report = act_on_each(todo, self._reprocess_one)
        report.skipped = [f"#{pk}" for pk, valid, result in rows if valid and result in done_already]
        forged = gettext("its signature is not valid: a forged or damaged callback is never applied")
        report.failed[:0] = [f"#{pk} ({forged})" for pk, valid, _ in rows if not valid]
        message_bulk_report(
            self,
            request,
            report,
            done=gettext("Re-processed ({count}): {rows}."),
            skipped=gettext("Already processed, nothing to do: {rows}."),
            failed=gettext("Not re-processed ({count}): {rows}."),
        )

    @staticmethod
    def _reprocess_one(event_id: int) -> str:
        """Re-process one event; an unexpected error fails that row only (it stays in the inbox as it was)."""
        try:
            event = reprocess_event(event_id=event_id)
        except DomainError:
            raise
        except Exception as exc:
            logger.exception("re-processing webhook event %s failed", event_id)
            raise DomainError(f"{exc.__class__.__name__}: {exc}") from exc
        return f"{event.get_result_display().lower()}: {event.result_detail}"

"""The webhook inbox, read-only, with a re-process action."""

import logging

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.exceptions import DomainError
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
    list_filter = ("provider", "result", "signature_valid", "source")
    list_select_related = ("payment",)
    search_fields = ("dedupe_key",)
    search_help_text = "Dedupe key, or a payment reference."
    date_hierarchy = "received_at"
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
        ("Verified update", {"fields": ["update_display"]}),
        ("As received", {"fields": ["content_type", "headers_display", "raw_body_display"]}),
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

    @admin.display(description="result", ordering="result")
    def result_badge(self, event):
        return result_badge(event)

    @admin.display(description="payment")
    def payment_reference(self, event):
        return payment_link(event.payment)

    @admin.display(description="result detail")
    def result_detail_display(self, event):
        return preformatted(event.result_detail)

    @admin.display(description="update (provider-neutral)")
    def update_display(self, event):
        return preformatted(as_json(event.update))

    @admin.display(description="headers")
    def headers_display(self, event):
        return preformatted(as_json(event.headers))

    @admin.display(description="raw body")
    def raw_body_display(self, event):
        return preformatted(event.raw_body)

    def get_search_results(self, request, queryset, search_term):
        reference = uuid_in(search_term)
        if reference is not None:
            return queryset.filter(payment__reference=reference), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="Re-process selected events", permissions=["reprocess"])
    def reprocess_selected(self, request, queryset):
        """Apply each event again through the service and report each one by its number."""
        done, skipped, failed = [], [], []
        rows = queryset.select_related(None).order_by("pk").values_list("pk", "signature_valid", "result")
        for event_id, signature_valid, result in rows:
            name = f"#{event_id}"
            if not signature_valid:
                failed.append(f"{name} (its signature is not valid: a forged or damaged callback is never applied)")
                continue
            if result in (WebhookEvent.Result.PROCESSED, WebhookEvent.Result.IGNORED):
                # Applying it again would change nothing but overwrite what it did the first time.
                skipped.append(name)
                continue
            try:
                event = reprocess_event(event_id=event_id)
            except DomainError as exc:
                failed.append(f"{name} ({exc.message.rstrip('.')})")
            except Exception as exc:  # it stays in the inbox as it was; report it and go on
                logger.exception("re-processing webhook event %s failed", event_id)
                failed.append(f"{name} ({exc.__class__.__name__}: {exc})")
            else:
                done.append(f"{name} ({event.get_result_display().lower()}: {event.result_detail})")
        if done:
            self.message_user(request, f"Re-processed {len(done)}: {'; '.join(done)}.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Already processed, nothing to do: {', '.join(skipped)}.", messages.INFO)
        if failed:
            self.message_user(request, f"{len(failed)} not re-processed: {'; '.join(failed)}.", messages.ERROR)

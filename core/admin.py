"""Admin plumbing every app's back office shares, and the idempotency keys (read-only)."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import IdempotencyKey, OutboxMessage
from core.outbox import relay, retry_messages
from core.validators import normalize_ua_phone


def badge(css: str, colour: str, label: str) -> str:
    """A coloured status pill for changelists (order, payment, shipment, webhook statuses)."""
    return format_html(
        '<span class="kr-status {}" style="background:{};color:#fff;padding:2px 8px;'
        'border-radius:10px;white-space:nowrap">{}</span>',
        css,
        colour,
        label,
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: the model changes only through its app's services (or never, the ledger)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@dataclass
class BulkReport:
    """What a bulk admin action did to each selected row, by the row's label for people."""

    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def act_on_each(rows: Iterable[tuple[int, str]], action: Callable[[int], str | None]) -> BulkReport:
    """Run `action(pk)` on every (pk, label) row on its own; a refusal fails that row only.

    `action` returns None (done), a short detail to show beside the label (done), or raises a
    DomainError (failed, with its message). Each call is its own service call, under its own
    lock and transaction, so one refused row never undoes the others.
    """
    report = BulkReport()
    for pk, label in rows:
        try:
            detail = action(pk)
        except DomainError as exc:
            report.failed.append(f"{label} ({exc.message.rstrip('.')})")
        else:
            report.done.append(label if detail is None else f"{label} ({detail})")
    return report


def message_bulk_report(
    model_admin: admin.ModelAdmin,
    request,
    report: BulkReport,
    *,
    done: str,
    failed: str,
    skipped: str = "",
) -> None:
    """Tell staff what a bulk action did: one message per outcome, each row named.

    `done`, `failed` and `skipped` are (translated) templates with `{count}` and `{rows}`.
    """
    if report.done:
        text = done.format(count=len(report.done), rows=", ".join(report.done))
        model_admin.message_user(request, text, messages.SUCCESS)
    if report.skipped and skipped:
        text = skipped.format(count=len(report.skipped), rows=", ".join(report.skipped))
        model_admin.message_user(request, text, messages.INFO)
    if report.failed:
        text = failed.format(count=len(report.failed), rows="; ".join(report.failed))
        model_admin.message_user(request, text, messages.ERROR)


# Only digits, spaces and phone punctuation: "067 123 45 67", "+38 (067) 123-45-67".
_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")


def phone_in_search(search_term: str) -> str:
    """The +380XXXXXXXXX phone a search term spells, or '' when it is not a whole phone."""
    term = (search_term or "").strip()
    return normalize_ua_phone(term) if _PHONE_LIKE.match(term) else ""


class ServiceRefused(Exception):
    """A service refused an admin save; raised by save_model/save_formset, never escapes."""

    def __init__(self, error: DomainError, *, field: str | None = None):
        super().__init__(error.message)
        self.error = error
        self.field = field


class ServiceFormErrorsMixin:
    """Show a service's refusal as an error on the change form, with nothing saved.

    Django's admin validates the form and then saves. A service that refuses at save time
    (a stale version, a rule checked under a row lock) would otherwise be a 500. Here
    save_model raises ServiceRefused instead: the exception leaves the admin's atomic block,
    so everything the save did is rolled back, and the same POST is validated once more
    with the refusal added as a form error, so staff keep what they typed.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request.kramar_service_refusal = refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refused = getattr(request, "kramar_service_refusal", None)
        if refused is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                field = refused.field if refused.field in self.fields else None
                self.add_error(field, refused.error.message)
                return cleaned_data

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Stored API responses, for a superuser debugging a client's retries; never edited."""

    list_display = ("key", "owner", "method", "path", "response_status", "created_at")
    list_filter = ("method", "response_status")
    search_fields = ("=key", "=owner", "path")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the outbox (core/outbox.py): read-only, with a retry action ------------------------------


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("Pending")), ("dead", _("Dead")), ("sent", _("Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True, dead_at__isnull=True)
        if self.value() == "dead":
            return queryset.filter(sent_at__isnull=True, dead_at__isnull=False)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


_OUTBOX_STATE_BADGES = {
    "pending": ("kr-outbox-pending", "#b8860b", _("Pending")),
    "dead": ("kr-outbox-dead", "#b22222", _("Dead")),
    "sent": ("kr-outbox-sent", "#2e7d32", _("Sent")),
}


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Side effects waiting for the broker, sent, or dead after too many failed publishes.

    Nothing here is edited. `Retry` makes the selected unsent messages due now with a fresh
    attempt budget; it needs the `core.retry_outboxmessage` permission (superusers have it).
    """

    list_display = ("id", "task", "state_badge", "attempts", "created_at", "available_at", "sent_at", "short_error")
    list_filter = (OutboxStateFilter, "task")
    search_fields = ("=id", "task", "dedupe_key")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_selected"]
    show_full_result_count = False  # the table is large; counting it all on every page is not needed

    @admin.display(description=_("state"))
    def state_badge(self, obj):
        return badge(*_OUTBOX_STATE_BADGES[obj.state])

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_retry_permission(self, request):
        return request.user.has_perm("core.retry_outboxmessage")

    @admin.action(description=_("Retry the selected unsent messages now"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        ids = list(queryset.filter(sent_at__isnull=True).values_list("pk", flat=True))
        count = retry_messages(ids=ids)
        report = relay(ids=ids)
        self.message_user(
            request,
            _("%(count)s message(s) made due again; %(sent)s published now, %(failed)s still failing.")
            % {"count": count, "sent": report.sent, "failed": report.failed},
            messages.SUCCESS if not report.failed else messages.WARNING,
        )

"""Admin plumbing every app's back office shares, and the idempotency keys (read-only)."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.utils.html import format_html

from core.exceptions import DomainError
from core.models import IdempotencyKey
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

"""The block list and the review queue ("Needs review"), with approve/reject actions."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import DomainError
from core.money import format_money
from orders.models import BlockedContact, OrderScreening
from orders.services import approve_review, normalize_blocked_value, reject_review


@admin.register(BlockedContact)
class BlockedContactAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "reason", "added_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason"]
    readonly_fields = ["added_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class NormalisingForm(form):
            def clean(self):
                data = super().clean()
                if data.get("kind") and data.get("value"):
                    try:
                        data["value"] = normalize_blocked_value(kind=data["kind"], value=data["value"])
                    except DomainError as exc:
                        self.add_error("value", exc.message)
                    else:
                        self.instance.value = data["value"]
                        exists = BlockedContact.objects.filter(kind=data["kind"], value=data["value"])
                        if exists.exclude(pk=self.instance.pk).exists():
                            self.add_error("value", _("This is already on the block list."))
                return data

        return NormalisingForm


class NeedsReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("pending", _("Needs review")), *[c for c in OrderScreening.Review.choices if c[0] != "pending"]]

    def queryset(self, request, queryset):
        return queryset.filter(review=self.value()) if self.value() else queryset


@admin.register(OrderScreening)
class OrderScreeningAdmin(admin.ModelAdmin):
    """Every order's screening; "Needs review" is the queue. Rows change only by the actions."""

    list_display = ["order_link", "status", "total", "phone", "email", "ip", "review", "rule", "reason", "created_at"]
    list_filter = [NeedsReviewFilter, "rule"]
    list_select_related = ["order", "decided_by"]
    search_fields = ["order__number", "order__phone", "order__email", "ip"]
    actions = ["approve", "reject"]
    date_hierarchy = "created_at"
    fields = ["order_link", "ip", "review", "rule", "reason", "paid_at", "decided_by", "decided_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("orders.review_order")

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.order.get_status_display()

    @admin.display(description=_("total"))
    def total(self, obj):
        return format_money(obj.order.total, obj.order.currency)

    @admin.display(description=_("phone"))
    def phone(self, obj):
        return obj.order.phone

    @admin.display(description=_("e-mail"))
    def email(self, obj):
        return obj.order.email

    def _decide(self, request, queryset, service, done) -> None:
        """`done(n)` is the success message for n decided orders."""
        decided = 0
        for screening in queryset.select_related("order"):
            try:
                service(order_id=screening.order_id, by=request.user)
            except DomainError as exc:
                messages.error(request, f"{screening.order.number}: {exc.message}")
            else:
                decided += 1
        if decided:
            messages.success(request, done(decided) % {"n": decided})

    @admin.action(permissions=["review"], description=_("Approve the selected orders (confirm them)"))
    def approve(self, request, queryset):
        self._decide(
            request, queryset, approve_review, lambda n: ngettext("%(n)s order approved.", "%(n)s orders approved.", n)
        )

    @admin.action(permissions=["review"], description=_("Reject the selected orders (cancel them)"))
    def reject(self, request, queryset):
        self._decide(
            request,
            queryset,
            reject_review,
            lambda n: ngettext("%(n)s order rejected and cancelled.", "%(n)s orders rejected and cancelled.", n),
        )

"""The order admin: changelist, search, the change page (contact fixes) and its read-outs.

Every change goes through orders.services. The admin collects input, checks that the person
holds the permission (again on the server, whatever the page showed), and turns domain
errors into messages or form errors. Orders are never added or deleted here. The transition
buttons and bulk actions are in orders.admin.actions.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ServiceFormErrorsMixin, ServiceRefused, badge, phone_in_search
from core.exceptions import DomainError
from core.large_lists import EstimatedCountPaginator, trigram_search
from core.money import format_money
from orders.admin.actions import BUTTON_LABELS, OrderActionsMixin, allowed_transitions
from orders.admin.columns import CompactOrderColumnsMixin
from orders.admin.forms import OrderForm
from orders.admin.inlines import OrderLineInline
from orders.exceptions import OrderNotChangeable
from orders.models import ORDER_SEARCH_FIELDS, Order, Source
from orders.selectors import order_history
from orders.services import EDITABLE_FIELDS, TIMESTAMP_FIELD, refuse_unless_editable, update_order_details
from payments.selectors import order_payment_status, order_payment_statuses, payments_for_order

STATUS_COLOURS = {
    Order.Status.PLACED: "#b26a00",
    Order.Status.CONFIRMED: "#1565c0",
    Order.Status.SHIPPED: "#6a1b9a",
    Order.Status.DELIVERED: "#2e7d32",
    Order.Status.COMPLETED: "#37474f",
    Order.Status.CANCELLED: "#757575",
    Order.Status.EXPIRED: "#757575",
    Order.Status.RETURNED: "#c62828",
}
TIMESTAMP_FIELDS = tuple(TIMESTAMP_FIELD.values())
# payments.selectors.order_payment_status answers with these words (the API's values): as staff read them.
PAYMENT_STATES = {
    "unpaid": pgettext_lazy("order payment state", "unpaid"),
    "payment processing": pgettext_lazy("order payment state", "payment processing"),
    "paid": pgettext_lazy("order payment state", "paid"),
    "partially refunded": pgettext_lazy("order payment state", "partially refunded"),
    "refunded": pgettext_lazy("order payment state", "refunded"),
    "overpaid (refund under way)": pgettext_lazy("order payment state", "overpaid (refund under way)"),
    "paid with store credit": pgettext_lazy("order payment state", "paid with store credit"),
    "paid on delivery": pgettext_lazy("order payment state", "paid on delivery"),
    "cash on delivery": pgettext_lazy("order payment state", "cash on delivery"),
}


@admin.register(Order)
class OrderAdmin(ServiceFormErrorsMixin, OrderActionsMixin, CompactOrderColumnsMixin, admin.ModelAdmin):
    form = OrderForm
    inlines = [OrderLineInline]
    # Compact enough for 1280 px beside the sidebars (orders.admin.columns).
    list_display = ("number", "created_at", "customer_column", "state_column", "total_display")
    list_filter = ("status", "payment_method", "created_at", "placed_via")
    # Every column is on the order row itself; nothing to join yet.
    list_select_related = ()
    search_fields = ORDER_SEARCH_FIELDS  # searched through one trigram index: get_search_results
    search_help_text = _("Order number, phone (any format), e-mail or name.")
    # A million orders: no date_hierarchy (its year links read every row; the created_at
    # filter stays), the unfiltered total from the statistics, the filtered one counted once.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = (
        "number",
        "status_badge",
        "created_at",
        "placed_via",
        "payment_method",
        "payment_status",
        "customer",
        "expires_at",
        "subtotal_display",
        "delivery_fee_display",
        "total_display",
        "status_history",
        "payments_table",
        *TIMESTAMP_FIELDS,
    )

    # --- permissions ---------------------------------------------------------------------------

    def has_add_permission(self, request):
        return False  # orders are placed by shoppers and the API, through checkout

    def has_delete_permission(self, request, obj=None):
        return False  # an order is cancelled, never deleted

    def has_change_permission(self, request, obj=None):
        # Details of an order that left the open states are history; they stay as they were.
        return super().has_change_permission(request, obj) and (obj is None or obj.is_open)

    # --- changelist ----------------------------------------------------------------------------

    @admin.display(description=_("customer"), ordering="full_name")
    def customer_name(self, order):
        return order.full_name

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, order):
        return badge(
            f"kr-status-{order.status}", STATUS_COLOURS.get(order.status, "#757575"), order.get_status_display()
        )

    @admin.display(description=_("payment"))
    def payment_status(self, order):
        # The changelist reads every listed order's payments at once (get_changelist_instance).
        shown = getattr(order, "kramar_payment_status", None)
        state = shown if shown is not None else order_payment_status(order=order)
        return PAYMENT_STATES.get(state, state)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        orders = list(changelist.result_list)  # evaluated once here; the page reuses these rows
        statuses = order_payment_statuses(orders=orders)
        for order in orders:
            order.kramar_payment_status = statuses[order.pk]
        return changelist

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order):
        return format_money(order.total, order.currency)

    @admin.display(description=_("subtotal"))
    def subtotal_display(self, order):
        return format_money(order.subtotal, order.currency)

    @admin.display(description=_("delivery fee"))
    def delivery_fee_display(self, order):
        return format_money(order.delivery_fee, order.currency)

    def get_search_results(self, request, queryset, search_term):
        # A whole phone in any spelling finds that phone exactly, not its digits scattered
        # over numbers and e-mails; anything else is the usual search.
        phone = phone_in_search(search_term)
        if phone:
            return queryset.filter(phone=phone), False
        return trigram_search(queryset, ORDER_SEARCH_FIELDS, search_term), False

    # --- change view ---------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        contact = {"fields": list(EDITABLE_FIELDS)}
        if obj is not None and self.has_change_permission(request, obj):
            contact["fields"].append("expected_version")
        elif obj is not None:
            try:  # shown, not enforced: update_order_details decides under the order's lock
                refuse_unless_editable(obj)
            except OrderNotChangeable as exc:
                contact["description"] = exc.message
        return [
            (
                None,
                {
                    "fields": [
                        ("number", "status_badge"),
                        ("created_at", "placed_via"),
                        ("payment_method", "payment_status"),
                        "customer",
                        "expires_at",
                    ]
                },
            ),
            (_("Contact and delivery"), contact),
            (_("Totals"), {"fields": ["subtotal_display", "delivery_fee_display", "total_display"]}),
            (_("Status history"), {"fields": ["status_history"]}),
            *(
                [(_("Payments"), {"fields": ["payments_table"]})]
                if obj is not None and request.user.has_perm("payments.view_payment")
                else []
            ),
            (_("Timestamps"), {"classes": ["collapse"], "fields": list(TIMESTAMP_FIELDS)}),
        ]

    @admin.display(description=_("attempts"))
    def payments_table(self, order):
        payments = list(payments_for_order(order=order))
        if not payments:
            return gettext("No payments.")
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:payments_payment_change", args=[p.pk]),
                    p.reference,
                    date_format(localtime(p.created_at), "DATETIME_FORMAT"),
                    p.provider,
                    p.get_status_display() + (gettext(" (overpayment)") if p.is_overpayment else ""),
                    format_money(p.amount, p.currency),
                    format_money(p.refunded_amount, p.currency),
                    gettext("needs review") if p.needs_review else "",
                )
                for p in payments
            ),
        )
        heads = [pgettext("payment object", "Payment"), gettext("When"), gettext("Provider"), gettext("Status")]
        heads += [gettext("Amount"), gettext("Refunded"), ""]
        return format_html(
            '<table class="kr-payments"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<th>{}</th>", ((h,) for h in heads)),
            rows,
        )

    @admin.display(description=_("changes"))
    def status_history(self, order):
        entries = order_history(order=order)
        if not entries:
            return gettext("No status changes yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(e.at), "DATETIME_FORMAT"),
                    e.from_status,
                    e.to_status,
                    e.by,
                    _source_label(e.source) or "—",
                    e.reason or "—",
                )
                for e in entries
            ),
        )
        heads = [gettext("When"), gettext("Status"), gettext("Who"), gettext("Source"), gettext("Reason")]
        return format_html(
            '<table class="kr-history"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<th>{}</th>", ((h,) for h in heads)),
            rows,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["order_transitions"] = [
                {
                    "name": name,
                    "label": BUTTON_LABELS[name],
                    "url": reverse("admin:orders_order_transition", args=[obj.pk, name]),
                }
                for name in allowed_transitions(obj, request.user)
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        try:
            update_order_details(
                order_id=obj.pk,
                expected_version=form.cleaned_data["expected_version"],
                changes={field: form.cleaned_data[field] for field in EDITABLE_FIELDS if field in form.cleaned_data},
            )
        except DomainError as exc:
            raise ServiceRefused(exc) from exc


def _source_label(source: str) -> str:
    """Where a change came from, as staff read it ("Back office"); an unknown code as it is."""
    return dict(Source.choices).get(source, source)

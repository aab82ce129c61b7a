"""Orders in the back office: search, contact fixes, transition buttons and bulk actions.

Every change goes through orders.services. The admin collects input, checks that the person
holds the permission (again on the server, whatever the page showed), and turns domain
errors into messages or form errors. Orders are never added or deleted here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django_fsm import has_transition_perm

from core.admin import ServiceFormErrorsMixin, ServiceRefused, badge, phone_in_search
from core.exceptions import DomainError
from core.money import format_money
from core.validators import normalize_ua_phone
from directory.selectors import resolve_delivery
from orders.exceptions import PAST_TENSE, OrderStateError
from orders.models import TRANSITIONS, Order, OrderLine, Source
from orders.selectors import order_history
from orders.services import EDITABLE_FIELDS, TIMESTAMP_FIELD, TRANSITION_SERVICES, update_order_details
from payments.selectors import order_payment_status, order_payment_statuses, payments_for_order
from shipping.selectors import parcel_has_left

BUTTON_LABELS = {
    "confirm": "Confirm",
    "ship": "Mark shipped",
    "deliver": "Mark delivered",
    "complete": "Complete",
    "cancel": "Cancel order",
    "return": "Mark returned",
}
REASON_REQUIRED = frozenset({"cancel", "return"})
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


def _refuse_cancel_if_parcel_left(order: Order, name: str) -> None:
    """A shipped order may be cancelled only while its waybill can still be deleted."""
    if name == "cancel" and order.status == Order.Status.SHIPPED and parcel_has_left(order=order):
        raise OrderStateError(
            order,
            "cancel",
            f"Order {order.number}'s parcel is already with Nova Poshta: have it refused or "
            "returned instead of cancelling.",
        )


def transition_permission(name: str) -> str:
    """The permission a transition asks for, as declared on the model's FSM transition."""
    meta = getattr(Order, TRANSITIONS[name])._django_fsm
    return next(t.permission for t in meta.transitions.values())


def allowed_transitions(order: Order, user) -> list[str]:
    """Transitions the order can take now and `user` may perform, in TRANSITION_SERVICES order."""
    return [name for name in TRANSITION_SERVICES if has_transition_perm(getattr(order, TRANSITIONS[name]), user)]


def _without_order_number(message: str, number: str) -> str:
    """'Order KR-1 cannot be confirmed while it is cancelled.' -> 'cannot be ... cancelled'."""
    prefix = f"Order {number} "
    return (message[len(prefix) :] if message.startswith(prefix) else message).rstrip(".")


class OrderForm(forms.ModelForm):
    # The version the page was rendered with: saving refuses if the order moved on since.
    # (Named apart from Order.version, which the admin would refuse as a non-editable field.)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Order
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean_phone(self):
        phone = normalize_ua_phone(self.cleaned_data["phone"])
        if not phone:
            raise forms.ValidationError("Enter a Ukrainian phone number, e.g. +380671234567 or 067 123 45 67.")
        return phone

    def clean(self):
        """Nova Poshta Refs must be a real city and branch pair; their names follow the directory."""
        cleaned = super().clean()
        city_ref = (cleaned.get("delivery_city_ref") or "").strip()
        warehouse_ref = (cleaned.get("delivery_warehouse_ref") or "").strip()
        if city_ref or warehouse_ref:
            try:
                city, warehouse = resolve_delivery(city_ref=city_ref, warehouse_ref=warehouse_ref)
            except DomainError as exc:
                for field, message in exc.extra.get("errors", {}).items():
                    self.add_error(f"{field}_ref" if field == "delivery_city" else "delivery_warehouse_ref", message)
                return cleaned
            cleaned["delivery_city"], cleaned["delivery_branch"] = city.name, warehouse.name
        return cleaned


class TransitionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if reason_required:
            self.fields["reason"].help_text = "Required: the shopper and your colleagues will see why."


class BulkCancelForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("name", "sku", "unit_price_display", "quantity", "line_total_display")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="unit price")
    def unit_price_display(self, line):
        return format_money(line.unit_price, line.order.currency)

    @admin.display(description="line total")
    def line_total_display(self, line):
        return format_money(line.line_total, line.order.currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    # Lines are part of the order: whoever may see the order sees them; nobody edits them.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ServiceFormErrorsMixin, admin.ModelAdmin):
    form = OrderForm
    inlines = [OrderLineInline]
    list_display = (
        "number",
        "created_at",
        "customer_name",
        "phone",
        "email",
        "status_badge",
        "payment_method",
        "payment_status",
        "total_display",
    )
    list_filter = ("status", "payment_method", "created_at", "placed_via")
    # Every column is on the order row itself; nothing to join yet.
    list_select_related = ()
    search_fields = ("number", "phone", "email", "full_name")
    search_help_text = "Order number, phone (any format), e-mail or name."
    date_hierarchy = "created_at"
    actions = ["confirm_selected", "cancel_selected"]
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

    def has_confirm_permission(self, request):
        return request.user.has_perm(transition_permission("confirm"))

    def has_cancel_permission(self, request):
        return request.user.has_perm(transition_permission("cancel"))

    # --- changelist ----------------------------------------------------------------------------

    @admin.display(description="customer", ordering="full_name")
    def customer_name(self, order):
        return order.full_name

    @admin.display(description="status", ordering="status")
    def status_badge(self, order):
        return badge(
            f"kr-status-{order.status}", STATUS_COLOURS.get(order.status, "#757575"), order.get_status_display()
        )

    @admin.display(description="payment")
    def payment_status(self, order):
        # The changelist reads every listed order's payments at once (get_changelist_instance).
        shown = getattr(order, "kramar_payment_status", None)
        return shown if shown is not None else order_payment_status(order=order)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        orders = list(changelist.result_list)  # evaluated once here; the page reuses these rows
        statuses = order_payment_statuses(orders=orders)
        for order in orders:
            order.kramar_payment_status = statuses[order.pk]
        return changelist

    @admin.display(description="total", ordering="total")
    def total_display(self, order):
        return format_money(order.total, order.currency)

    @admin.display(description="subtotal")
    def subtotal_display(self, order):
        return format_money(order.subtotal, order.currency)

    @admin.display(description="delivery fee")
    def delivery_fee_display(self, order):
        return format_money(order.delivery_fee, order.currency)

    def get_search_results(self, request, queryset, search_term):
        # A whole phone in any spelling finds that phone exactly, not its digits scattered
        # over numbers and e-mails; anything else is the usual search.
        phone = phone_in_search(search_term)
        if phone:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    # --- change view ---------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        contact = {"fields": list(EDITABLE_FIELDS)}
        if obj is not None and self.has_change_permission(request, obj):
            contact["fields"].append("expected_version")
        elif obj is not None and not obj.is_open:
            contact["description"] = f"The order is {obj.get_status_display().lower()}: its details are final."
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
            ("Contact and delivery", contact),
            ("Totals", {"fields": ["subtotal_display", "delivery_fee_display", "total_display"]}),
            ("Status history", {"fields": ["status_history"]}),
            *(
                [("Payments", {"fields": ["payments_table"]})]
                if obj is not None and request.user.has_perm("payments.view_payment")
                else []
            ),
            ("Timestamps", {"classes": ["collapse"], "fields": list(TIMESTAMP_FIELDS)}),
        ]

    @admin.display(description="attempts")
    def payments_table(self, order):
        payments = list(payments_for_order(order=order))
        if not payments:
            return "No payments."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:payments_payment_change", args=[p.pk]),
                    p.reference,
                    date_format(localtime(p.created_at), "DATETIME_FORMAT"),
                    p.provider,
                    p.get_status_display() + (" (overpayment)" if p.is_overpayment else ""),
                    format_money(p.amount, p.currency),
                    format_money(p.refunded_amount, p.currency),
                    "needs review" if p.needs_review else "",
                )
                for p in payments
            ),
        )
        return format_html(
            '<table class="kr-payments"><thead><tr><th>Payment</th><th>When</th><th>Provider</th><th>Status</th>'
            "<th>Amount</th><th>Refunded</th><th></th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="changes")
    def status_history(self, order):
        entries = order_history(order=order)
        if not entries:
            return "No status changes yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(e.at), "DATETIME_FORMAT"),
                    e.from_status,
                    e.to_status,
                    e.by,
                    e.source or "—",
                    e.reason or "—",
                )
                for e in entries
            ),
        )
        return format_html(
            '<table class="kr-history"><thead><tr><th>When</th><th>Status</th><th>Who</th>'
            "<th>Source</th><th>Reason</th></tr></thead><tbody>{}</tbody></table>",
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

    # --- transition buttons --------------------------------------------------------------------

    def get_urls(self):
        transition = path(
            "<path:object_id>/transition/<str:name>/",
            self.admin_site.admin_view(self.transition_view),
            name="orders_order_transition",
        )
        return [transition, *super().get_urls()]

    def transition_view(self, request, object_id, name):
        """Ask for a reason, then run one transition through its service."""
        if name not in TRANSITION_SERVICES:
            raise Http404("No such transition.")
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404("No such order.")
        # Never trust the button: the permission is checked here, on every request.
        if not (
            self.has_view_or_change_permission(request, order) and request.user.has_perm(transition_permission(name))
        ):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        if not has_transition_perm(getattr(order, TRANSITIONS[name]), request.user):
            messages.error(request, OrderStateError(order, name).message)
            return HttpResponseRedirect(change_url)

        confirmed = request.method == "POST" and "confirmed" in request.POST
        form = TransitionForm(
            request.POST if confirmed else None,
            initial={"version": request.POST.get("version") or order.version},
            reason_required=name in REASON_REQUIRED,
        )
        if confirmed and form.is_valid():
            try:
                _refuse_cancel_if_parcel_left(order, name)
                TRANSITION_SERVICES[name](
                    order_id=order.pk,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    source=Source.ADMIN,
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Order {order.number} {PAST_TENSE[name]}.")
            return HttpResponseRedirect(change_url)

        context = {
            **self.admin_site.each_context(request),
            "title": f"{BUTTON_LABELS[name]}: order {order.number}",
            "opts": self.opts,
            "order": order,
            "total": format_money(order.total, order.currency),
            "form": form,
            "button_label": BUTTON_LABELS[name],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/orders/order/transition.html", context)

    # --- bulk actions --------------------------------------------------------------------------

    @admin.action(description="Confirm selected orders", permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        self._transition_each(request, queryset, "confirm", reason="")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        form = BulkCancelForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._transition_each(request, queryset, "cancel", reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel orders",
            "opts": self.opts,
            "orders": queryset.order_by("pk"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_selected",
        }
        return TemplateResponse(request, "admin/orders/order/cancel_selected.html", context)

    def _transition_each(self, request, queryset, name: str, *, reason: str) -> None:
        """Run the transition on every order separately and report each failure by number."""
        service = TRANSITION_SERVICES[name]
        done, failed = 0, []
        for order_id, number in queryset.order_by("pk").values_list("pk", "number"):
            try:
                _refuse_cancel_if_parcel_left(Order.objects.get(pk=order_id), name)
                service(order_id=order_id, by=request.user, reason=reason, source=Source.ADMIN)
            except DomainError as exc:
                failed.append(f"{number} ({_without_order_number(exc.message, number)})")
            else:
                done += 1
        message = f"{done} {PAST_TENSE[name]}"
        if failed:
            message += f"; {len(failed)} failed: {', '.join(failed)}"
        level = messages.SUCCESS if not failed else messages.WARNING if done else messages.ERROR
        self.message_user(request, message, level)

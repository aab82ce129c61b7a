"""The order admin's transition buttons (one page per transition) and bulk actions.

Each runs the transition's service; the service decides, under the order's row lock,
whether the order may take it, and its refusal is shown as a message.
"""

import re

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from core.admin import act_on_each, message_bulk_report
from core.exceptions import DomainError
from core.money import format_money
from orders.admin.forms import BulkCancelForm, TransitionForm
from orders.exceptions import OrderStateError
from orders.models import TRANSITIONS, Order, Source
from orders.services import TRANSITION_SERVICES

BUTTON_LABELS = {
    "confirm": pgettext_lazy("order transition", "Confirm"),
    "ship": pgettext_lazy("order transition", "Mark shipped"),
    "deliver": pgettext_lazy("order transition", "Mark delivered"),
    "complete": pgettext_lazy("order transition", "Complete"),
    "cancel": pgettext_lazy("order transition", "Cancel order"),
    "return": pgettext_lazy("order transition", "Mark returned"),
}
# What the change page says after each transition (%(number)s is the order's number).
DONE_MESSAGES = {
    "confirm": _("Order %(number)s confirmed."),
    "ship": _("Order %(number)s marked shipped."),
    "deliver": _("Order %(number)s marked delivered."),
    "complete": _("Order %(number)s completed."),
    "cancel": _("Order %(number)s cancelled."),
    "return": _("Order %(number)s marked returned."),
}
REASON_REQUIRED = frozenset({"cancel", "return"})
BULK_DONE = {
    "confirm": _("Confirmed ({count}): {rows}"),
    "cancel": _("Cancelled ({count}): {rows}"),
}
BULK_FAILED = _("Failed ({count}): {rows}")


def transition_permission(name: str) -> str:
    """The permission a transition asks for, as declared on the model's FSM transition."""
    meta = getattr(Order, TRANSITIONS[name])._django_fsm
    return next(t.permission for t in meta.transitions.values())


def allowed_transitions(order: Order, user) -> list[str]:
    """Transitions the order can take now and `user` may perform, in TRANSITION_SERVICES order."""
    return [name for name in TRANSITION_SERVICES if has_transition_perm(getattr(order, TRANSITIONS[name]), user)]


def _without_order_number(message: str, number: str) -> str:
    """'Order KR-1 cannot be confirmed while it is cancelled.' -> 'cannot be ... cancelled.'

    In any language: a message that opens with the order as its subject ("Order KR-1 ...",
    "Замовлення №KR-1 ...") loses that opening; any other ("Посилка замовлення №KR-1 ...") stays whole.
    """
    subject = re.match(rf"\S+\s+№?{re.escape(number)}\s+", message)
    return message[subject.end() :] if subject else message


class OrderActionsMixin:
    """Transition pages and bulk actions for OrderAdmin."""

    actions = ["confirm_selected", "cancel_selected"]

    def has_confirm_permission(self, request):
        return request.user.has_perm(transition_permission("confirm"))

    def has_cancel_permission(self, request):
        return request.user.has_perm(transition_permission("cancel"))

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
            raise Http404(gettext("No such transition."))
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404(gettext("No such order."))
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
                messages.success(request, DONE_MESSAGES[name] % {"number": order.number})
            return HttpResponseRedirect(change_url)

        context = {
            **self.admin_site.each_context(request),
            "title": gettext("%(action)s: order %(number)s") % {"action": BUTTON_LABELS[name], "number": order.number},
            "opts": self.opts,
            "order": order,
            "total": format_money(order.total, order.currency),
            "form": form,
            "button_label": BUTTON_LABELS[name],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/orders/order/transition.html", context)

    # --- bulk actions --------------------------------------------------------------------------

    @admin.action(description=_("Confirm selected orders"), permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        self._transition_each(request, queryset, "confirm", reason="")

    @admin.action(description=_("Cancel selected orders"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        form = BulkCancelForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._transition_each(request, queryset, "cancel", reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel orders"),
            "opts": self.opts,
            "orders": queryset.order_by("pk"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_selected",
        }
        return TemplateResponse(request, "admin/orders/order/cancel_selected.html", context)

    def _transition_each(self, request, queryset, name: str, *, reason: str) -> None:
        """Run the transition on every order on its own and report each outcome by number."""
        service = TRANSITION_SERVICES[name]
        rows = list(queryset.order_by("pk").values_list("pk", "number"))
        numbers = dict(rows)

        def transition(order_id: int) -> None:
            try:
                service(order_id=order_id, by=request.user, reason=reason, source=Source.ADMIN)
            except DomainError as exc:
                # The row is already named by its number: say only what is wrong with it.
                exc.message = _without_order_number(exc.message, numbers[order_id])
                raise

        report = act_on_each(rows, transition)
        message_bulk_report(self, request, report, done=BULK_DONE[name], failed=BULK_FAILED)

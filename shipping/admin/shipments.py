"""The parcel queue: what to label, what was labelled, what a person must fix.

Nothing here edits a shipment: every change goes through shipping.services, and every button
and action checks the manage_shipment permission again on the server, whatever the page showed.
Labels are fetched by our server and handed over as a PDF; the carrier's print URL (which
carries the API key) never reaches a browser.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, badge, phone_in_search
from core.circuit import describe
from core.large_lists import EstimatedCountPaginator, search_words
from core.money import format_money
from shipping import carriers
from shipping.admin.actions import ShipmentActionsMixin
from shipping.admin.helpers import MANAGE_PERMISSION, STATUS_COLOURS, QueueFilter, directory_names
from shipping.admin.pages import ShipmentPagesMixin
from shipping.models import Shipment
from shipping.services.breaker import carrier_breaker
from shipping.services.common import NO_BRANCH


@admin.register(Shipment)
class ShipmentAdmin(ShipmentPagesMixin, ShipmentActionsMixin, ReadOnlyAdmin):
    list_display = (
        "marker",
        "order_link",
        "status_badge",
        "tracking_number",
        "carrier_status_text",
        "recipient",
        "destination",
        "cod_display",
        "attempts",
        "last_error_short",
        "label_created_at",
    )
    list_display_links = ("marker",)
    list_filter = ("status", "carrier", QueueFilter, ("created_at", admin.DateFieldListFilter))
    list_select_related = ("order",)
    # The marker is the order number (and "-2", "-3" for a second parcel): searching it finds
    # the order's parcels through its trigram index, with no join to the orders (get_search_results).
    search_fields = ("tracking_number", "marker")
    search_help_text = _("TTN, order number or the recipient's phone (any format).")
    # One parcel per order, so as many rows as orders: no date_hierarchy (the created_at
    # filter instead), the unfiltered total from the statistics, the filtered one counted once.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["download_labels_100x100", "download_labels_a4", "retry_selected", "void_waybills", "cancel_parcels"]
    MANAGE_ACTIONS = frozenset(actions)
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("marker", "order_link"),
                    ("status_badge", "carrier"),
                    ("tracking_number", "return_tracking_number"),
                    ("carrier_status_code", "carrier_status_text"),
                    "estimated_delivery",
                ]
            },
        ),
        (_("Recipient"), {"fields": ["recipient", "destination", "city_ref", "warehouse_ref"]}),
        (_("Parcel"), {"fields": ["weight_grams", "declared_value_display", "cod_display", "cost_display"]}),
        (
            _("Label"),
            {"fields": ["waybill_ref", "attempts", "last_error_shown", "creating_since", "next_attempt_at"]},
        ),
        (
            _("Timestamps"),
            {
                "classes": ["collapse"],
                "fields": ["created_at", "label_created_at", "next_poll_at", "delivered_at", "updated_at"],
            },
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)
    change_form_template = "admin/shipping/shipment/change_form.html"

    # --- permissions ---------------------------------------------------------------------------

    def has_manage_permission(self, request):
        return request.user.has_perm(MANAGE_PERMISSION)

    def _require_manage(self, request, shipment=None):
        if not (self.has_view_permission(request, shipment) and self.has_manage_permission(request)):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        # Django answers an action the user may not run with "No action selected"; a forged
        # or stale POST for one of ours is refused outright instead.
        if (
            request.method == "POST"
            and request.POST.get("action") in self.MANAGE_ACTIONS
            and not self.has_manage_permission(request)
        ):
            raise PermissionDenied
        state = carrier_breaker(carriers.get_carrier()).state()
        extra_context = {
            **(extra_context or {}),
            "carrier_circuit": {"name": state.name, "state": state.state, "line": describe(state)},
        }
        return super().changelist_view(request, extra_context)

    # --- columns -------------------------------------------------------------------------------

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, shipment):
        url = reverse("admin:orders_order_change", args=[shipment.order_id])
        return format_html('<a href="{}">{}</a>', url, shipment.order.number)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, shipment):
        return badge(
            f"kr-status-{shipment.status}",
            STATUS_COLOURS.get(shipment.status, "#757575"),
            shipment.get_status_display(),
        )

    @admin.display(description=_("recipient"))
    def recipient(self, shipment):
        return format_html("{}<br>{}", shipment.recipient_name, shipment.recipient_phone)

    @admin.display(description=_("city / branch"))
    def destination(self, shipment):
        places = getattr(shipment, "kramar_places", None)
        if places is None:
            places = directory_names([shipment])
        city, branch = places.get(shipment.pk, ("", ""))
        if not (shipment.city_ref or shipment.warehouse_ref):
            return gettext("— (not chosen)")
        return format_html(
            "{}<br>{}",
            city or gettext("unknown city %(ref)s") % {"ref": shipment.city_ref},
            branch or gettext("unknown branch %(ref)s") % {"ref": shipment.warehouse_ref},
        )

    @admin.display(description=_("COD"), ordering="cod_amount")
    def cod_display(self, shipment):
        return format_money(shipment.cod_amount, shipment.order.currency) if shipment.cod_amount else "—"

    @admin.display(description=_("declared value"))
    def declared_value_display(self, shipment):
        return format_money(shipment.declared_value, shipment.order.currency)

    @admin.display(description=_("delivery cost"))
    def cost_display(self, shipment):
        return format_money(shipment.cost, shipment.order.currency) if shipment.cost is not None else "—"

    @admin.display(description=_("last error"))
    def last_error_short(self, shipment):
        if not shipment.last_error:
            return ""
        shown = shown_error(shipment.last_error)
        return format_html('<span title="{}">{}</span>', shown, Truncator(shown).chars(80))

    @admin.display(description=_("last error"))
    def last_error_shown(self, shipment):
        return shown_error(shipment.last_error) or "-"

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        shipments = list(changelist.result_list)  # evaluated once here; the page reuses these rows
        places = directory_names(shipments)
        for shipment in shipments:
            shipment.kramar_places = places
        return changelist

    def get_search_results(self, request, queryset, search_term):
        # A whole phone in any spelling finds that recipient; anything else is the usual search.
        phone = phone_in_search(search_term)
        if phone:
            return queryset.filter(recipient_phone=phone), False
        # A TTN exactly (its index), or a part of the marker (its trigram index): one index
        # scan each, where Django's own search would compare UPPER(TTN) and read every row.
        for word in search_words(search_term):
            queryset = queryset.filter(Q(tracking_number=word) | Q(marker__icontains=word))
        return queryset, False


def shown_error(stored: str) -> str:
    """kramar's own known error in the staff member's language; a carrier's text as it came."""
    return gettext(NO_BRANCH) if stored == NO_BRANCH else stored

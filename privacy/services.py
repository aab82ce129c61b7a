"""Exporting and anonymising a customer's personal data (GDPR-style requests).

Anonymisation blanks who the customer is and where they live, everywhere kramar copied it
(orders, payments' payer data, webhook bodies, shipments' recipient copies, the account),
and keeps every amount: order totals, payments, refunds and the ledger are untouched, so
the books and `ledger_verify` stay as they were. Every app's rows change through plain
updates in one transaction.

Lock order: the customer's orders in id order (the global order: orders first), then the
user row; the children are updated after their orders are locked.
"""

from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from orders.models import Order, OrderScreening
from payments.models import Payment, WebhookEvent
from privacy.exceptions import AlreadyAnonymised, CustomerHasOpenOrders, NotACustomer
from privacy.models import PrivacyAction
from privacy.selectors import FINISHED_ORDER_STATUSES, customer_data, orders_of
from shipping.models import Shipment

PLACEHOLDER_DOMAIN = "anonymised.invalid"  # .invalid never resolves (RFC 2606): no mail can leave


def placeholder_email(*, user_id: int) -> str:
    return f"anonymised-{user_id}@{PLACEHOLDER_DOMAIN}"


@dataclass(frozen=True)
class Anonymised:
    orders: int
    payments: int
    webhook_events: int
    shipments: int


def export_customer(*, user, by=None) -> dict:
    """Everything kept about the customer, as plain data; the export itself is recorded."""
    if user.is_staff or user.is_superuser:
        raise NotACustomer()
    data = customer_data(user=user)
    PrivacyAction.objects.create(kind=PrivacyAction.Kind.EXPORT, customer=user, by=by)
    return data


@transaction.atomic
def anonymise_customer(*, user_id: int, by=None) -> Anonymised:
    """Blank a customer's personal data everywhere; refused while an order is still open.

    Locks the customer's orders (id order), then the user. The e-mail becomes a unique
    placeholder, the password unusable and the account inactive.
    """
    User = get_user_model()
    user = User.objects.get(pk=user_id)
    if user.is_staff or user.is_superuser:
        raise NotACustomer()
    if user.email.endswith("@" + PLACEHOLDER_DOMAIN):
        raise AlreadyAnonymised()
    orders = list(
        Order.objects.select_for_update().filter(orders_of(user)).order_by("id").values_list("id", "number", "status")
    )
    user = User.objects.select_for_update().get(pk=user_id)
    still_open = [number for _order_id, number, status in orders if status not in FINISHED_ORDER_STATUSES]
    if still_open:
        raise CustomerHasOpenOrders(
            _("Not anonymised: orders %(numbers)s are not yet delivered or cancelled; try again once they are.")
            % {"numbers": ", ".join(still_open)}
        )
    order_ids = [order_id for order_id, _number, _status in orders]
    email = placeholder_email(user_id=user.pk)
    Order.objects.filter(pk__in=order_ids).update(
        full_name="",
        phone="",
        email=email,
        delivery_city="",
        delivery_branch="",
        delivery_city_ref="",
        delivery_warehouse_ref="",
        comment="",
        version=F("version") + 1,  # an edit form opened before this is stale now
    )
    payment_ids = list(
        Payment.objects.filter(Q(order_id__in=order_ids) | Q(customer=user)).values_list("id", flat=True)
    )
    payments = Payment.objects.filter(pk__in=payment_ids).update(form_fields={}, redirect_url="")
    # The provider's callbacks carry the payer's e-mail, phone and card mask, in the raw body and
    # in the parsed payload kept under the update's "raw" key; the provider-neutral rest of the
    # update (event, amounts, states) stays for the audit trail.
    events = WebhookEvent.objects.filter(payment_id__in=payment_ids).update(
        raw_body="", headers={}, remote_ip=None, update=RawSQL('"update" - %s', ["raw"])
    )
    shipments = Shipment.objects.filter(order_id__in=order_ids).update(
        recipient_name="", recipient_phone="", city_ref="", warehouse_ref=""
    )
    # Who checked out from where (the anti-abuse rules' IP), and the login records that name
    # the e-mail and the address it logged in from.
    OrderScreening.objects.filter(order_id__in=order_ids).update(ip=None)
    AccessAttempt.objects.filter(username__iexact=user.email).delete()
    AccessLog.objects.filter(username__iexact=user.email).delete()
    AccessFailureLog.objects.filter(username__iexact=user.email).delete()
    User.objects.filter(pk=user.pk).update(
        email=email, full_name="", phone="", password=make_password(None), is_active=False
    )
    PrivacyAction.objects.create(
        kind=PrivacyAction.Kind.ANONYMISE,
        customer=user,
        by=by,
        # Shown in the admin's privacy log: written in the shop's language (the request's, else Ukrainian).
        detail=_("orders: %(orders)s, payments: %(payments)s, webhook events: %(events)s, shipments: %(shipments)s")
        % {"orders": len(order_ids), "payments": payments, "events": events, "shipments": shipments},
    )
    return Anonymised(orders=len(order_ids), payments=payments, webhook_events=events, shipments=shipments)

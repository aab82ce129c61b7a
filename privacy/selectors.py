"""Everything kramar keeps about one customer, as plain data (for the export).

Reads every app's models; nothing here writes. Staff who handled the customer are not
part of the customer's data: entries name no staff member here.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q

from ledger.models import Account
from ledger.selectors import statement
from orders.models import Order
from orders.selectors import order_history
from payments.models import Payment
from privacy.exceptions import NotACustomer, UnknownCustomer
from shipping.models import Shipment

FINISHED_ORDER_STATUSES = (
    Order.Status.DELIVERED,
    Order.Status.COMPLETED,
    Order.Status.CANCELLED,
    Order.Status.EXPIRED,
    Order.Status.RETURNED,
)


def get_customer_by_email(*, email: str):
    """The customer (never a staff member) with this e-mail, in any letter case."""
    user = get_user_model().objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise UnknownCustomer()
    if user.is_staff or user.is_superuser:
        raise NotACustomer()
    return user


def orders_of(user) -> Q:
    """The customer's orders: placed while logged in, or as a guest with their e-mail."""
    return Q(customer=user) | Q(email__iexact=user.email)


def _iso(value):
    return value.isoformat() if value is not None else None


def _order(order: Order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": _iso(order.created_at),
        "full_name": order.full_name,
        "phone": order.phone,
        "email": order.email,
        "delivery_city": order.delivery_city,
        "delivery_branch": order.delivery_branch,
        "delivery_city_ref": order.delivery_city_ref,
        "delivery_warehouse_ref": order.delivery_warehouse_ref,
        "comment": order.comment,
        "payment_method": order.payment_method,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "delivery_fee": order.delivery_fee,
        "total": order.total,
        "store_credit": order.store_credit,
        "tracking_number": order.tracking_number,
        "delivered_at": _iso(order.delivered_at),
        "cancelled_at": _iso(order.cancelled_at),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "line_total": line.line_total,
            }
            for line in order.lines.all()
        ],
        "history": [
            {"at": _iso(h.at), "from": str(h.from_status), "to": str(h.to_status), "reason": h.reason}
            for h in order_history(order=order)
        ],
    }


def _payment(payment: Payment) -> dict:
    return {
        "reference": str(payment.reference),
        "order": payment.order.number if payment.order_id else None,
        "purpose": payment.purpose,
        "provider": payment.provider,
        "status": payment.status,
        "currency": payment.currency,
        "amount": payment.amount,
        "captured_amount": payment.captured_amount,
        "refunded_amount": payment.refunded_amount,
        "created_at": _iso(payment.created_at),
        "captured_at": _iso(payment.captured_at),
        "payer_data": dict(payment.form_fields or {}),
        "refunds": [
            {
                "amount": refund.amount,
                "reason": refund.reason,
                "status": refund.status,
                "created_at": _iso(refund.created_at),
                "resolved_at": _iso(refund.resolved_at),
            }
            for refund in payment.refunds.all()
        ],
    }


def _shipment(shipment: Shipment) -> dict:
    return {
        "order": shipment.order.number,
        "carrier": shipment.carrier,
        "status": shipment.status,
        "recipient_name": shipment.recipient_name,
        "recipient_phone": shipment.recipient_phone,
        "city_ref": shipment.city_ref,
        "warehouse_ref": shipment.warehouse_ref,
        "tracking_number": shipment.tracking_number,
        "cod_amount": shipment.cod_amount,
        "created_at": _iso(shipment.created_at),
        "delivered_at": _iso(shipment.delivered_at),
    }


def _wallet(account: Account) -> dict:
    opening, lines = statement(code=account.code, currency=account.currency)
    return {
        "currency": account.currency,
        "balance": account.balance,
        "on_hold": account.held,
        "statement": [
            {"at": _iso(line.at), "kind": line.kind, "memo": line.memo, "amount": line.amount, "balance": line.balance}
            for line in lines
        ],
    }


def customer_data(*, user) -> dict:
    """Everything about `user`: account, orders (lines, history), payments, refunds, shipments, wallet."""
    orders = list(Order.objects.filter(orders_of(user)).prefetch_related("lines").order_by("id"))
    payments = (
        Payment.objects.filter(Q(order__in=orders) | Q(customer=user))
        .select_related("order")
        .prefetch_related("refunds")
        .order_by("id")
    )
    shipments = Shipment.objects.filter(order__in=orders).select_related("order").order_by("id")
    wallets = Account.objects.filter(owner=user).order_by("currency", "id")
    return {
        "account": {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "is_active": user.is_active,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "orders": [_order(order) for order in orders],
        "payments": [_payment(payment) for payment in payments],
        "shipments": [_shipment(shipment) for shipment in shipments],
        "wallets": [_wallet(account) for account in wallets],
    }

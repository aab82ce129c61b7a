"""Reads of orders, always scoped to who asks."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django_fsm_log.models import StateLog

from orders.exceptions import OrderNotFound
from orders.models import Order

_DESCRIPTION_RE = re.compile(r"^\[(?P<source>[a-z]+)\]\s*(?P<reason>.*)$", re.S)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    transition: str
    from_status: str
    to_status: str
    by: str
    source: str
    reason: str


def list_orders_for_customer(*, customer) -> QuerySet[Order]:
    return Order.objects.filter(customer=customer).prefetch_related("lines").order_by("-created_at", "-id")


def get_order_for_customer(*, customer, number: str) -> Order:
    """One of the customer's own orders; anybody else's is 'not found', never 'forbidden'."""
    try:
        return list_orders_for_customer(customer=customer).get(number=number)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def get_order_by_public_token(*, token: str) -> Order:
    try:
        return Order.objects.prefetch_related("lines").get(public_token=token)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def get_order_for_checkout_token(*, checkout_token: str, customer) -> Order:
    """The order a checkout form already placed, scoped to who placed it (a guest: no customer)."""
    owner = {"customer": customer} if customer is not None and customer.is_authenticated else {"customer": None}
    try:
        return Order.objects.get(checkout_token=checkout_token, **owner)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def list_orders_by_public_tokens(*, tokens: list[str]) -> list[Order]:
    """The orders behind these secret links (a browser's recent orders), newest first."""
    if not tokens:
        return []
    return list(Order.objects.filter(public_token__in=tokens).order_by("-created_at", "-id"))


def order_history(*, order: Order) -> list[HistoryEntry]:
    """Every status change of the order, oldest first: who, when, why and from where."""
    logs = (
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Order), object_id=order.pk)
        .select_related("by")
        .order_by("timestamp", "id")
    )
    labels = dict(Order.Status.choices)
    entries = []
    for log in logs:
        match = _DESCRIPTION_RE.match(log.description or "")
        entries.append(
            HistoryEntry(
                at=log.timestamp,
                transition=log.transition.rstrip("_"),
                from_status=labels.get(log.source_state, log.source_state or ""),
                to_status=labels.get(log.state, log.state),
                by=log.by.email if log.by else "system",
                source=match["source"] if match else "",
                reason=match["reason"] if match else (log.description or ""),
            )
        )
    return entries

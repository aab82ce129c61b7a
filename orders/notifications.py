"""E-mails to shoppers about their orders, each sent at most once per (order, kind).

Every e-mail is written in the language the order was placed in (``Order.language``), whoever
triggers it: the shopper, a payment webhook, Beat, or a staff member in an admin of any language.
"""

from django.conf import settings
from django.utils import translation

from core.emails import send_email
from core.languages import supported_language
from core.outbox import send_once
from orders.models import Order

KINDS = ("placed", "confirmed", "shipped", "cancelled", "expired")


def order_email_key(order: Order, kind: str) -> str:
    """What makes an e-mail one e-mail: the order and kind (and, once shipped, the waybill).

    A task delivered twice (the outbox relay or Redis redelivering) finds the key sent and
    sends nothing; a new waybill after a voided one is news, so it is part of the key.
    """
    key = f"order:{order.pk}:{kind}"
    return f"{key}:{order.tracking_number}" if kind == "shipped" and order.tracking_number else key


def order_email_context(order: Order, kind: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown order e-mail kind {kind!r}")
    return {
        "order": order,
        "order_url": settings.SITE_URL.rstrip("/") + order_url_path(order),
        "shop_name": settings.SHOP_NAME,
        "kind": kind,
    }


def order_url_path(order: Order) -> str:
    """The order page in the order's language (English under /en/)."""
    with translation.override(supported_language(order.language)):
        return order.get_absolute_url()


def send_order_email(*, order_id: int, kind: str) -> bool:
    """Send the e-mail of `kind` about an order to its contact address, unless it was sent; True if sent."""
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    context = order_email_context(order, kind)

    def send() -> None:
        send_email(to=order.email, template="order_status", context=context, language=order.language)

    return send_once(order_email_key(order, kind), send)

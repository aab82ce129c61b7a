"""E-mails to shoppers about their orders, each sent at most once per (order, kind)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.outbox import send_once
from orders.models import Order

SUBJECTS = {
    "placed": _("Order %(number)s received"),
    "confirmed": _("Order %(number)s confirmed"),
    "shipped": _("Order %(number)s is on its way"),
    "cancelled": _("Order %(number)s cancelled"),
    "expired": _("Order %(number)s expired: payment not received"),
}


def order_email_key(order: Order, kind: str) -> str:
    """What makes an e-mail one e-mail: the order and kind (and, once shipped, the waybill).

    A task delivered twice (the outbox relay or Redis redelivering) finds the key sent and
    sends nothing; a new waybill after a voided one is news, so it is part of the key.
    """
    key = f"order:{order.pk}:{kind}"
    return f"{key}:{order.tracking_number}" if kind == "shipped" and order.tracking_number else key


def send_order_email(*, order_id: int, kind: str) -> bool:
    """Send the e-mail of `kind` about an order to its contact address, unless it was sent; True if sent."""
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    context = {
        "order": order,
        "order_url": settings.SITE_URL.rstrip("/") + order.get_absolute_url(),
        "shop_name": settings.SHOP_NAME,
        "kind": kind,
    }

    def send() -> None:
        send_mail(
            subject=SUBJECTS[kind] % {"number": order.number},
            message=render_to_string("emails/order_status.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.email],
        )

    return send_once(order_email_key(order, kind), send)

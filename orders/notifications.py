"""E-mails to shoppers about their orders."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from orders.models import Order

SUBJECTS = {
    "placed": "Order {number} received",
    "confirmed": "Order {number} confirmed",
    "shipped": "Order {number} is on its way",
    "cancelled": "Order {number} cancelled",
    "expired": "Order {number} expired: payment not received",
}


def send_order_email(*, order_id: int, kind: str) -> None:
    """Send the e-mail of `kind` about an order to its contact address."""
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    context = {
        "order": order,
        "order_url": settings.SITE_URL.rstrip("/") + order.get_absolute_url(),
        "shop_name": settings.SHOP_NAME,
        "kind": kind,
    }
    send_mail(
        subject=SUBJECTS[kind].format(number=order.number),
        message=render_to_string("emails/order_status.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.email],
    )

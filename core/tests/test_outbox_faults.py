"""Redis (the broker) stopped in the middle of checkouts and webhooks: nothing is lost (issue 9 item 12).

The shop runs for real here: checkouts through the views (Django test client), sandbox
payment callbacks through payments' webhook view, the broker a redis-server of the test's
own that it stops and starts, and, once it is back, the relay and a real Celery worker (in a
thread, solo pool) consuming the broker and sending the e-mails. Counted at the end: every
order placed, every payment applied, every e-mail sent, each exactly once, and no payment
callback mislabelled `failed` by a broker error after its commit.
"""

import time
from collections import Counter

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from constance.test import override_config
from django.core import mail
from django.db import connection
from django.test import Client

from config.celery import app as celery_app
from core.models import OutboxMessage
from core.outbox import relay
from orders.models import Order
from payments.models import Payment, WebhookEvent
from payments.providers import get_provider
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_order_payment
from tests.factories import ProductFactory, np_branch, place_test_order


def checkout(client: Client, product, branch) -> int:
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 1})
    form = client.get("/checkout/").context["form"]
    response = client.post(
        "/checkout/",
        {
            "full_name": "Olena Shevchenko",
            "phone": "+380671234567",
            "email": "olena@example.com",
            "delivery_city": branch.city.name,
            "delivery_city_ref": branch.city_id,
            "delivery_branch": branch.name,
            "delivery_warehouse_ref": branch.ref,
            "comment": "",
            "payment_method": "cod",
            "checkout_token": form["checkout_token"].value(),
        },
    )
    return response.status_code


def drain_with_a_real_worker(expected_emails: int, timeout: float = 60) -> None:
    """Run a Celery worker on the broker until `expected_emails` went out (then a moment more)."""

    def close_db(**kwargs):
        connection.close()  # the worker thread's own connection, so the test database can be dropped

    task_postrun.connect(close_db, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deadline = time.monotonic() + timeout
            while len(mail.outbox) < expected_emails and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # long enough for a duplicate to show up if one were coming
    finally:
        task_postrun.disconnect(close_db)


@pytest.fixture
def fault_shop(transactional_db, django_db_serialized_rollback, real_broker):
    celery_app.conf.task_eager_propagates = False
    return real_broker


@override_config(RATE_LIMIT_CHECKOUT="100/m", RATE_LIMIT_CART_ADD="100/m")  # 20 shoppers behind one IP
def test_checkouts_while_redis_is_down_lose_no_order_and_no_email(fault_shop):
    product = ProductFactory(stock=100)
    branch = np_branch("Київ", "1")
    statuses = []
    statuses += [checkout(Client(), product, branch) for _ in range(5)]  # Redis up
    fault_shop.stop()
    statuses += [checkout(Client(), product, branch) for _ in range(10)]  # Redis down
    fault_shop.start()
    statuses += [checkout(Client(), product, branch) for _ in range(5)]  # Redis back

    assert statuses == [303] * 20  # each redirected to its order page
    assert Order.objects.count() == 20
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert pending.count() == 10  # written with the orders, waiting for the broker
    assert all("Connection refused" in m.last_error for m in pending)

    pending.update(available_at=OutboxMessage._meta.get_field("available_at").default())  # back-off over
    assert relay().sent == 10  # what Beat's sweep (or manage.py relay_outbox) does
    drain_with_a_real_worker(expected_emails=20)

    numbers = set(Order.objects.values_list("number", flat=True))
    subjects = Counter(m.subject for m in mail.outbox)
    assert subjects == Counter({f"Замовлення №{n} отримано": 1 for n in numbers})
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_webhooks_while_redis_is_down_apply_every_payment_and_lose_no_email(fault_shop):
    sandbox = get_provider("sandbox")
    product = ProductFactory(stock=100, price=49900)
    orders = [place_test_order(items={product.pk: 1}, payment_method=Order.PaymentMethod.ONLINE) for _ in range(10)]
    payments = [
        start_order_payment(
            order_id=o.pk, provider_code="sandbox", return_url_for=return_url_for, callback_url_for=callback_url_for
        )
        for o in orders
    ]
    fault_shop.stop()
    statuses = []
    for payment in payments:
        state = sandbox.set_outcome(
            ref=str(payment.reference), amount=payment.amount, currency=payment.currency, status="paid", refunded=0
        )
        body, signature = sandbox.callback_body(state)
        response = Client().post(
            "/payments/callback/sandbox/",
            data=body.encode(),
            content_type="application/json",
            headers={"X-Sandbox-Signature": signature},
        )
        statuses.append(response.status_code)
    fault_shop.start()

    assert statuses == [200] * 10
    # The broker's outage after each commit must not mark the applied callback failed (item 12).
    results = Counter(WebhookEvent.objects.filter(provider="sandbox").values_list("result", flat=True))
    assert results == Counter({WebhookEvent.Result.PROCESSED: 10})
    assert Payment.objects.filter(status=Payment.Status.CAPTURED).count() == 10
    assert Order.objects.filter(status=Order.Status.CONFIRMED).count() == 10
    OutboxMessage.objects.filter(sent_at__isnull=True).update(
        available_at=OutboxMessage._meta.get_field("available_at").default()
    )
    relay()
    drain_with_a_real_worker(expected_emails=20)

    subjects = Counter(m.subject for m in mail.outbox)
    said = ("отримано", "підтверджено")  # received, confirmed
    assert subjects == Counter({f"Замовлення №{o.number} {what}": 1 for o in orders for what in said})
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0

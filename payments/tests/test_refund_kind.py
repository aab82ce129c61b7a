"""A refund knows its kind; nothing is read from the shape of its idempotency key."""

import importlib

import pytest
from django.apps import apps

from orders.models import Source
from orders.services import cancel_order
from payments.models import Payment, Refund
from payments.services import refund_money_of_closed_orders, request_refund
from payments.tests.conftest import deliver, online_order, start

pytestmark = pytest.mark.django_db


def test_a_staff_refund_whose_key_ends_like_an_order_closed_one_does_not_stop_the_sweep(
    sandbox, django_capture_on_commit_callbacks
):
    # given a paid order with a staff refund whose caller-chosen key happens to end ":order-closed"
    order = online_order(price=100000)
    payment = start(order)
    deliver(sandbox, payment)
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(payment_id=payment.pk, amount=30000, reason="dent", by=None, idempotency_key="x:order-closed")
    # when the order is cancelled and the sweep runs
    cancel_order(order_id=order.pk, by=None, reason="gone", source=Source.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        assert refund_money_of_closed_orders() == 1
    # then the rest went back too
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 100000)
    assert sorted(Refund.objects.values_list("kind", "amount")) == [("order_closed", 70000), ("staff", 30000)]


def test_the_overpayment_refund_is_of_kind_overpayment(sandbox, django_capture_on_commit_callbacks):
    order = online_order()
    first = start(order)
    deliver(sandbox, first)
    # a second attempt captured for the same, already paid, order
    second = Payment.objects.create(order=order, provider="sandbox", amount=first.amount, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(sandbox, second)
    assert list(Refund.objects.values_list("kind", "automatic")) == [("overpayment", True)]


def test_the_data_migration_reads_the_kind_from_the_old_keys(sandbox):
    order = online_order(price=100000)
    payment = start(order)
    deliver(sandbox, payment)
    ref = payment.reference
    keys = {
        f"payment:{ref}:order-closed": "order_closed",
        f"payment:{ref}:overpayment-refund": "overpayment",
        f"payment:{ref}:external:5000": "external",
        "api-refund:7:abc": "api",
        "admin-refund:0123abcd": "staff",
    }
    for key in keys:
        Refund.objects.create(payment=payment, amount=100, reason="r", idempotency_key=key, kind="staff")
    migration = importlib.import_module("payments.migrations.0003_refund_kind")

    migration.fill_kind(apps, None)

    assert dict(Refund.objects.values_list("idempotency_key", "kind")) == keys

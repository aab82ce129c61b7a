"""One online order from the shop page to booked revenue: pay, label, track, deliver, book, verify.

The Sandbox payment provider and the Sandbox carrier stand in for the outside world (a signed
callback as the gateway sends it, parcels that move with the clock); everything between them
is the real code: checkout, the webhook inbox, capture, the on-commit label kick, tracking,
delivery, revenue recognition and the ledger's own integrity check.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Stock
from ledger.selectors import balance_of
from orders.models import Order
from orders.selectors import order_history
from payments.models import Payment
from payments.providers import get_provider
from payments.services import recognize_revenue_of_delivered_orders
from shipping.carriers.sandbox import SandboxCarrier
from shipping.services import track_shipments
from tests.factories import ProductFactory, UserFactory, np_branch

pytestmark = pytest.mark.django_db


def test_an_online_order_is_paid_labelled_tracked_delivered_and_booked(client, django_capture_on_commit_callbacks):
    # given a kettle in stock, a registered shopper and her Nova Poshta branch
    kettle = ProductFactory(name="Copper kettle", price=129900, stock=4, weight_grams=1200)
    shopper = UserFactory(email="olena@example.com", full_name="Olena Shevchenko", phone="+380671234567")
    lviv_5 = np_branch("Львів", "5", name="Відділення №5: вул. Городоцька, 120")
    client.force_login(shopper)
    client.post("/cart/add/", {"product_id": kettle.pk, "quantity": 1})

    # when she checks out paying online with the Sandbox
    form = client.get("/checkout/").context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post(
            "/checkout/",
            {
                "full_name": form["full_name"].value(),
                "phone": form["phone"].value(),
                "email": form["email"].value(),
                "delivery_city": "Львів",
                "delivery_city_ref": lviv_5.city_id,
                "delivery_branch": lviv_5.name,
                "delivery_warehouse_ref": lviv_5.ref,
                "comment": "",
                "payment_method": "online:sandbox",
                "checkout_token": form["checkout_token"].value(),
            },
        )

    # then she goes straight to the gateway; the kettle is held, nothing is paid yet
    order, payment = Order.objects.get(), Payment.objects.get()
    assert (placed.status_code, placed["Location"]) == (302, payment.redirect_url)
    assert (order.status, order.payment_method, payment.status, payment.amount) == (
        "placed",
        "online",
        "pending",
        129900,
    )
    assert (Stock.objects.get(product=kettle).on_hand, Stock.objects.get(product=kettle).reserved) == (4, 1)

    # when she pays and the gateway's signed callback arrives
    sandbox = get_provider("sandbox")
    state = sandbox.set_outcome(ref=str(payment.reference), amount=129900, currency="UAH", status="paid", refunded=0)
    body, signature = sandbox.callback_body(state)
    with django_capture_on_commit_callbacks(execute=True):
        callback = client.post(
            "/payments/callback/sandbox/",
            data=body.encode(),
            content_type="application/json",
            headers={"X-Sandbox-Signature": signature},
        )

    # then the money is captured, the order confirmed, and on commit its waybill made (no Beat run)
    assert callback.status_code == 200
    order.refresh_from_db()
    payment.refresh_from_db()
    shipment = order.shipments.get()
    assert (payment.status, payment.captured_amount) == ("captured", 129900)
    assert (order.status, shipment.status, shipment.carrier) == ("shipped", "label_created", "sandbox")
    assert order.tracking_number == shipment.tracking_number != ""
    assert (shipment.cod_amount, shipment.declared_value, shipment.weight_grams) == (0, 129900, 1200)
    assert (shipment.city_ref, shipment.warehouse_ref) == (lviv_5.city_id, lviv_5.ref)
    assert (Stock.objects.get(product=kettle).on_hand, Stock.objects.get(product=kettle).reserved) == (3, 0)
    assert (balance_of(code="customer_prepayments"), balance_of(code="sales")) == (129900, 0)

    # when tracking looks an hour later: the parcel went to the branch and she collected it
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert track_shipments(now=later, carrier=SandboxCarrier(now=lambda: later)) == 1

    # then the order is delivered and knows its parcel was handed over
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert (order.status, shipment.status, shipment.carrier_status_code) == ("delivered", "delivered", 9)
    assert order.handed_over_at is not None
    assert [e.transition for e in order_history(order=order)] == ["pay", "ship", "hand_over", "deliver"]

    # when revenue recognition runs (Beat), the prepayment becomes a sale, once
    assert recognize_revenue_of_delivered_orders() == 1
    assert recognize_revenue_of_delivered_orders() == 0
    assert (balance_of(code="customer_prepayments"), balance_of(code="sales")) == (0, 129900)

    # and the ledger proves itself whole
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "ledger integrity check passed" in out.getvalue()

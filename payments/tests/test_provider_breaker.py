"""The breaker toward each payment provider (psp:<code>): an outage is probed, not hammered.

Against the local fake Fondy answering 500 or timing out: after five transient failures the
breaker opens and the fake sees no further call from checkout, reconciliation or refunds;
after the cool-down one probe goes through and its success closes the breaker.
"""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.circuit import CircuitBreakerState
from orders.models import Order
from payments.exceptions import ProviderUnavailable
from payments.models import Payment, Refund
from payments.return_links import callback_url_for, return_url_for
from payments.services import reconcile_payments, request_refund, send_refund, send_stuck_refunds, start_top_up
from payments.services import start_order_payment as start_payment
from payments.tests.conftest import start as start_sandbox_payment
from payments.tests.fakes.fondy import FakeFondy
from tests.factories import ProductFactory, StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

PRICE = 49900
HELD_BACK = "Fondy зараз не відповідає; кошти не списано. Будь ласка, спробуйте ще раз за кілька хвилин."
NOT_ANSWERING = "Fondy зараз не відповідає; кошти не списано. Спробуйте ще раз трохи згодом."


@pytest.fixture
def fake(settings):
    server = FakeFondy(merchant_id="1396424", secret="test").start()
    settings.PAYMENT_PROVIDERS = {
        **settings.PAYMENT_PROVIDERS,
        "fondy": {
            "enabled": True,
            "merchant_id": "1396424",
            "secret": "test",
            "base_url": server.base_url,
            "timeout": 0.3,
        },
    }
    yield server
    server.stop()


def calls(fake, route: str) -> int:
    return sum(1 for path, _, _ in fake.requests if path == route)


def breaker() -> CircuitBreakerState:
    return CircuitBreakerState.objects.get(name="psp:fondy")


def open_breaker(**fields) -> None:
    defaults = {
        "state": "open",
        "consecutive_failures": 5,
        "openings": 1,
        "open_until": timezone.now() + timedelta(minutes=1),
        "last_error": "http://127.0.0.1/status/order_id answered HTTP 500",
    }
    CircuitBreakerState.objects.update_or_create(name="psp:fondy", defaults={**defaults, **fields})


def cool_down_over() -> None:
    CircuitBreakerState.objects.filter(name="psp:fondy").update(open_until=timezone.now() - timedelta(seconds=1))


def online_order() -> Order:
    product = ProductFactory(stock=5, price=PRICE)
    return place_test_order(items={product.pk: 1}, payment_method=Order.PaymentMethod.ONLINE)


def start(order: Order) -> Payment:
    return start_payment(
        order_id=order.pk, provider_code="fondy", return_url_for=return_url_for, callback_url_for=callback_url_for
    )


def test_checkout_opens_the_breaker_after_five_failures_then_refuses_at_once_and_probes_after_cool_down(fake):
    # given Fondy answering 500 three times and then timing out twice
    fake.fail_next(500, times=3)
    fake.fail_next("timeout", times=2)
    orders = [online_order() for _ in range(7)]

    # when five shoppers try to pay: each is told to try again, and the fifth failure opens it
    for order in orders[:5]:
        with pytest.raises(ProviderUnavailable) as refused:
            start(order)
        assert (refused.value.message, refused.value.status_code) == (NOT_ANSWERING, 503)
    state = breaker()
    assert (state.state, state.consecutive_failures, state.openings) == ("open", 5, 1)
    assert state.last_error.endswith("within 0.3 s")
    assert calls(fake, "/checkout/url/") == 5

    # then the sixth is answered at once, Fondy is not called and no attempt is made
    with pytest.raises(ProviderUnavailable) as refused:
        start(orders[5])
    assert (refused.value.message, refused.value.code, refused.value.status_code) == (
        HELD_BACK,
        "provider_unavailable",
        503,
    )
    assert calls(fake, "/checkout/url/") == 5
    assert Payment.objects.filter(order=orders[5]).count() == 0

    # and after the cool-down one probe goes out; Fondy answers, so the breaker closes
    cool_down_over()
    payment = start(orders[6])
    assert (payment.status, payment.redirect_url) == ("pending", fake.checkout_url(str(payment.reference)))
    assert calls(fake, "/checkout/url/") == 6
    state = breaker()
    assert (state.state, state.consecutive_failures, state.openings, state.open_until) == ("closed", 0, 0, None)


def test_a_refusal_from_the_provider_is_not_an_outage(fake, settings):
    # given a Fondy that answers, but refuses our merchant (a mistake for a person, not an outage)
    settings.PAYMENT_PROVIDERS["fondy"] = {**settings.PAYMENT_PROVIDERS["fondy"], "merchant_id": "999"}
    for _ in range(6):
        with pytest.raises(ProviderUnavailable):
            start(online_order())

    # then every attempt reached Fondy and the breaker stays closed with no failure counted
    assert calls(fake, "/checkout/url/") == 6
    state = breaker()
    assert (state.state, state.consecutive_failures, state.last_failure_at) == ("closed", 0, None)


def test_a_top_up_is_refused_at_once_while_the_breaker_is_open(fake):
    open_breaker()
    user = UserFactory()
    with pytest.raises(ProviderUnavailable) as refused:
        start_top_up(
            user=user,
            amount=10000,
            provider_code="fondy",
            return_url_for=return_url_for,
            callback_url_for=callback_url_for,
        )
    assert (refused.value.message, refused.value.status_code) == (HELD_BACK, 503)
    assert (fake.requests, Payment.objects.filter(customer=user).count()) == ([], 0)


def test_reconciliation_stops_asking_an_unreachable_provider_and_skips_it_while_open(fake, caplog):
    # given six Fondy payments and one Sandbox payment pending long enough to be asked about
    fondy = [start(online_order()) for _ in range(6)]
    sandbox = start_sandbox_payment(online_order())
    for i, payment in enumerate([*fondy, sandbox]):  # asked oldest first: fondy[5] is the sixth
        Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=1, seconds=-i))
    fake.fail_next(500, times=5)
    t = timezone.now()

    # when the sweep runs: five status calls fail, the breaker opens, the sixth is not asked
    reconcile_payments(now=t)
    assert calls(fake, "/status/order_id") == 5
    state = breaker()
    assert (state.state, state.consecutive_failures, state.open_until) == ("open", 5, t + timedelta(minutes=1))
    never_asked = Payment.objects.get(pk=fondy[5].pk)
    assert never_asked.last_checked_at is None

    # then the next sweep, 30 s later, does nothing for Fondy (one log line) but still asks the Sandbox
    Payment.objects.filter(pk=sandbox.pk).update(last_checked_at=None)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="payments.services.breaker")
    with CaptureQueriesContext(connection) as sweep:
        checked = reconcile_payments(now=t + timedelta(seconds=30))
    assert checked == 1
    assert calls(fake, "/status/order_id") == 5
    assert Payment.objects.get(pk=fondy[5].pk).last_checked_at is None
    touched = [q["sql"] for q in sweep.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(touched) == 1  # the Sandbox payment's last_checked_at, nothing of Fondy's
    assert f'WHERE "payments_payment"."id" = {sandbox.pk}' in touched[0]
    said = [r.getMessage() for r in caplog.records if r.name == "payments.services.breaker"]
    assert len(said) == 1
    assert said[0].startswith("reconciliation skips fondy: psp:fondy: open after 5 failures")

    # and after the cool-down the one payment never asked about is the probe; Fondy answers
    reconcile_payments(now=t + timedelta(seconds=61))
    assert calls(fake, "/status/order_id") == 6
    assert Payment.objects.get(pk=fondy[5].pk).last_checked_at == t + timedelta(seconds=61)
    assert breaker().state == "closed"


def test_an_open_breaker_makes_the_sweep_cost_the_same_as_an_empty_one(fake):
    # given Fondy's breaker open
    open_breaker()
    reconcile_payments()  # the first read of a runtime setting stores its default: not part of the sweep
    with CaptureQueriesContext(connection) as empty:
        reconcile_payments()

    # when fifty Fondy payments are due
    for _ in range(50):
        payment = start_sandbox_payment(online_order())
        Payment.objects.filter(pk=payment.pk).update(provider="fondy", created_at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as held:
        checked = reconcile_payments()

    # then the sweep costs what an empty one does (the breakers, its two lists; the runtime
    # setting comes from the cache since issue 11)
    assert (checked, len(held.captured_queries), len(empty.captured_queries)) == (0, 3, 3)
    assert fake.requests == []
    assert Payment.objects.filter(provider="fondy", last_checked_at__isnull=False).count() == 0


def captured_fondy_payment(fake) -> Payment:
    payment = start(online_order())
    ref = str(payment.reference)
    fake.approve(ref, fee=0)
    response = Client().post(
        "/payments/callback/fondy/", data=fake.signed_callback(ref), content_type="application/json"
    )
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "captured"
    return payment


def test_a_refund_waits_requested_while_the_breaker_is_open_and_is_sent_after_the_cool_down(fake):
    # given a captured Fondy payment, a refund asked for, and Fondy's breaker open
    payment = captured_fondy_payment(fake)
    refund = request_refund(
        payment_id=payment.pk, amount=PRICE, reason="Sent back", by=StaffFactory(), idempotency_key="test:breaker"
    )
    open_breaker(open_until=timezone.now() + timedelta(minutes=10))

    # when the send task runs, and the stuck-refund sweep after it
    send_refund(refund_id=refund.pk)
    swept = send_stuck_refunds(now=timezone.now() + timedelta(minutes=5))

    # then nothing was sent and nothing failed: the refund is still requested, the payment untouched
    assert swept == {"sent": 0, "flagged": 0}
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, refund.attempts, refund.provider_message) == ("requested", 0, "")
    assert (payment.status, payment.refund_requested_amount, payment.needs_review) == ("captured", PRICE, False)
    assert calls(fake, "/reverse/order_id") == 0

    # and after the cool-down the sweep sends it (the probe), Fondy refunds, the breaker closes
    cool_down_over()
    assert send_stuck_refunds(now=timezone.now() + timedelta(minutes=5)) == {"sent": 1, "flagged": 0}
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("succeeded", 1)
    assert calls(fake, "/reverse/order_id") == 1
    assert breaker().state == "closed"


def test_failed_refund_sends_count_towards_opening_the_breaker(fake):
    # given five captured payments with a refund each, and Fondy then answering 503
    payments = [captured_fondy_payment(fake) for _ in range(6)]
    refunds = [
        request_refund(payment_id=p.pk, amount=PRICE, reason="Sent back", by=None, idempotency_key=f"test:{p.pk}")
        for p in payments
    ]
    fake.fail_next(503, times=5)

    # when each is sent
    for refund in refunds:
        send_refund(refund_id=refund.pk)

    # then five were tried (pending, left for reconciliation) and the sixth waits, still requested
    statuses = [Refund.objects.get(pk=r.pk).status for r in refunds]
    assert statuses == ["pending"] * 5 + ["requested"]
    assert calls(fake, "/reverse/order_id") == 5
    assert breaker().state == "open"


def test_the_health_page_and_the_payments_list_show_the_providers_breakers(fake, client):
    # given Fondy's breaker open (its row exists once Fondy failed)
    open_breaker(last_error="http://127.0.0.1/checkout/url/ answered HTTP 500")
    at = timezone.localtime(breaker().open_until).strftime("%H:%M:%S")
    line = (  # operators' line (health, logs): never translated
        f"psp:fondy: open after 5 failures, next try at {at} "
        "(last error: http://127.0.0.1/checkout/url/ answered HTTP 500)"
    )
    line_uk = (  # the staff's line in the admin
        f"psp:fondy: відкритий після 5 збоїв, наступна спроба о {at} "
        "(остання помилка: http://127.0.0.1/checkout/url/ answered HTTP 500)"
    )

    # then the health page warns about it
    health = client.get("/health/?format=json").json()
    assert [v for v in health.values() if "psp:" in v] == [f"Warning: {line}"]

    # and the payments list says so, one line per enabled provider
    client.force_login(StaffFactory(role="Finance"))
    page = client.get("/admin/payments/payment/").content.decode()
    assert (
        f"Провайдера призупинено — {line_uk}. Нові платежі відхиляються, перевірки статусу й повернення чекають; "
        "нічого не позначається як невдале."
    ) in page
    assert "psp:sandbox: працює, платежі, перевірки статусу й повернення надсилаються." in page

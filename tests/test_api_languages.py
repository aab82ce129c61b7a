"""Every error code the API answers, in both languages: `detail` follows Accept-Language
(Ukrainian by default), `code` never changes.

Each case sets the scene once and returns `ask(**headers)`, which repeats the refused request;
the same request is then sent with no header, `uk`, `en`, `en-GB,en;q=0.9`, an unknown `xx`
and `*`. A request that changes something when it succeeds is never allowed to succeed here.
"""

import re
import uuid

import pytest
from constance.test import override_config
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.idempotency import claim_idempotency_key, request_fingerprint
from core.throttling import UserRateThrottle
from orders.models import BlockedContact, Order, Source
from orders.services import block_contact, confirm_order, return_order, ship_order
from payments.models import Payment
from payments.providers import get_provider
from payments.providers.base import ProviderError
from payments.providers.sandbox import SandboxProvider
from payments.return_links import callback_url_for, return_url_for
from payments.services import start_order_payment
from payments.services.disputes import open_dispute
from tests.factories import DEMO_PASSWORD, ProductFactory, StaffFactory, UserFactory, place_test_order

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
UKRAINIAN = [{}, {"HTTP_ACCEPT_LANGUAGE": "uk"}, {"HTTP_ACCEPT_LANGUAGE": "xx"}, {"HTTP_ACCEPT_LANGUAGE": "*"}]
ENGLISH = [{"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}]


class Scene:
    """What a case may use: a signed-in customer and the test's settings and monkeypatch."""

    def __init__(self, settings, monkeypatch, request):
        self.settings, self.monkeypatch, self.request = settings, monkeypatch, request
        self.customer = UserFactory()
        self.api = client_for(self.customer)

    def config(self, **values):
        override = override_config(**values)
        override.enable()
        self.request.addfinalizer(override.disable)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def order_body(**overrides) -> dict:
    body = {
        "items": [{"product_id": ProductFactory(stock=5).pk, "quantity": 1}],
        "full_name": "Olena Shevchenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "delivery_city": "Kyiv",
        "delivery_branch": "Branch No 1",
        "payment_method": "cod",
    }
    body.update(overrides)
    return body


def placing(scene, **overrides):
    body = order_body(**overrides)
    return lambda **h: scene.api.post(ORDERS, body, format="json", **h)


def new_key() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def captured_payment(customer) -> Payment:
    product = ProductFactory(stock=5, price=40000)
    order = place_test_order(items={product.pk: 1}, customer=customer, payment_method=Order.PaymentMethod.ONLINE)
    payment = start_order_payment(
        order_id=order.pk, provider_code="sandbox", return_url_for=return_url_for, callback_url_for=callback_url_for
    )
    sandbox = get_provider("sandbox")
    state = sandbox.set_outcome(
        ref=str(payment.reference), amount=payment.amount, currency=payment.currency, status="paid", refunded=0
    )
    body, signature = sandbox.callback_body(state)
    APIClient().post(
        "/payments/callback/sandbox/", data=body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    return payment


def refunding(scene, payment, body=None):
    finance = client_for(StaffFactory(role="Finance"))
    url = f"/api/v1/payments/{payment.reference}/refunds/"
    body = body or {"amount": 40001, "reason": "Too much"}
    return lambda **h: finance.post(url, body, format="json", **new_key(), **h)


# --- the scenes, one per code ---------------------------------------------------------------


def not_authenticated(scene):
    return lambda **h: APIClient().get(ORDERS, **h)


def authentication_failed(scene):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    return lambda **h: client.get(ORDERS, **h)


def not_found(scene):
    return lambda **h: scene.api.get("/api/v1/nothing-here/", **h)


def method_not_allowed(scene):
    return lambda **h: scene.api.delete(ORDERS, **h)


def not_acceptable(scene):
    return lambda **h: scene.api.get(ORDERS, HTTP_ACCEPT="application/xml", **h)


def unsupported_media_type(scene):
    return lambda **h: scene.api.post("/api/v1/cart/lines/", {"product_id": 1, "quantity": 1}, format="multipart", **h)


def parse_error(scene):
    return lambda **h: scene.api.post(ORDERS, data="{", content_type="application/json", **h)


def invalid(scene):
    return lambda **h: APIClient().post("/api/v1/auth/token/", {"email": "taras@example.com"}, format="json", **h)


def invalid_credentials(scene):
    # a new e-mail each time: five failures for one e-mail would lock it out
    def ask(**h):
        body = {"email": f"{uuid.uuid4().hex}@example.com", "password": "wrong"}
        return APIClient().post("/api/v1/auth/token/", body, format="json", **h)

    return ask


def locked_out(scene):
    body = {"email": scene.customer.email, "password": "wrong"}
    for _attempt in range(django_settings.AXES_FAILURE_LIMIT):
        APIClient().post("/api/v1/auth/token/", body, format="json")
    right = {"email": scene.customer.email, "password": DEMO_PASSWORD}
    return lambda **h: APIClient().post("/api/v1/auth/token/", right, format="json", **h)


def throttled(scene):
    class OnePerMinute(UserRateThrottle):
        rate = "1/min"

    scene.monkeypatch.setattr(APIView, "throttle_classes", [OnePerMinute])
    assert scene.api.get(ORDERS).status_code == 200
    return lambda **h: scene.api.get(ORDERS, **h)


def permission_denied(scene):
    url = f"/api/v1/payments/{uuid.uuid4()}/refunds/"
    return lambda **h: scene.api.post(url, {"amount": 100, "reason": "x"}, format="json", **new_key(), **h)


def order_not_found(scene):
    return lambda **h: scene.api.get(f"{ORDERS}KR-999999/", **h)


def _own_order(scene, **kwargs) -> Order:
    return place_test_order(items={ProductFactory(stock=5).pk: 1}, customer=scene.customer, **kwargs)


def _cancelling(scene, order, **extra):
    url = f"{ORDERS}{order.number}/cancel/"
    return lambda **h: scene.api.post(url, {"reason": "Changed my mind"}, format="json", **extra, **h)


def invalid_transition(scene):
    order = _own_order(scene)
    ask = _cancelling(scene, order)
    assert ask().status_code == 200
    return ask


def stale_version(scene):
    return _cancelling(scene, _own_order(scene), HTTP_IF_MATCH='"7"')


def order_shipped(scene):
    order = _own_order(scene)
    staff = StaffFactory()
    confirm_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    ship_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    return _cancelling(scene, order)


def invalid_checkout(scene):
    return placing(scene, phone="12345")


def invalid_delivery(scene):
    return placing(scene, delivery_city_ref="no-such-city", delivery_warehouse_ref="no-such-branch")


def product_unavailable(scene):
    return placing(scene, items=[{"sku": "NO-SUCH-SKU", "quantity": 1}])


def duplicate_item(scene):
    product = ProductFactory(stock=5)
    return placing(scene, items=[{"product_id": product.pk, "quantity": 1}, {"sku": product.sku, "quantity": 1}])


def store_credit_too_high(scene):
    return placing(scene, store_credit=10**9)


def store_credit_short(scene):
    return placing(scene, store_credit=1, payment_method="store_credit")


def payment_method_unavailable(scene):
    providers = scene.settings.PAYMENT_PROVIDERS
    scene.settings.PAYMENT_PROVIDERS = {code: {**conf, "enabled": False} for code, conf in providers.items()}
    return placing(scene, payment_method="online")


def checkout_token_conflict(scene):
    place_test_order(customer=UserFactory(), checkout_token="shared-token")
    return placing(scene, checkout_token="shared-token")


def contact_blocked(scene):
    block_contact(kind=BlockedContact.Kind.PHONE, value="+380671234567", reason="Fraud", by=None)
    return placing(scene)


def too_many_open_orders(scene):
    scene.config(FRAUD_MAX_OPEN_ORDERS_PER_PHONE=1)
    place_test_order(phone="+380671234567")
    return placing(scene)


def prepayment_required(scene):
    scene.config(FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT=1)
    order, staff = place_test_order(phone="+380671234567"), StaffFactory()
    confirm_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    ship_order(order_id=order.pk, by=staff, source=Source.ADMIN)
    return_order(order_id=order.pk, by=staff, reason="Not collected", source=Source.ADMIN)
    return placing(scene)


def idempotency_key_reused(scene):
    assert scene.api.post(ORDERS, order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    other = order_body(comment="Another body")
    return lambda **h: scene.api.post(ORDERS, other, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **h)


def idempotency_key_in_use(scene):
    body = order_body()
    fingerprint = request_fingerprint(method="POST", path=ORDERS, data=body)
    claim_idempotency_key(
        owner=f"user:{scene.customer.pk}", key="k-1", method="POST", path=ORDERS, request_hash=fingerprint
    )
    return lambda **h: scene.api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **h)


def invalid_idempotency_key(scene):
    return lambda **h: scene.api.post(ORDERS, order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300, **h)


def idempotency_key_required(scene):
    finance = client_for(StaffFactory(role="Finance"))
    url = f"/api/v1/payments/{uuid.uuid4()}/refunds/"
    return lambda **h: finance.post(url, {"amount": 100, "reason": "x"}, format="json", **h)


def payment_not_found(scene):
    return lambda **h: scene.api.get(f"/api/v1/payments/{uuid.uuid4()}/", **h)


def _paying(scene, order, provider="sandbox"):
    url = f"{ORDERS}{order.number}/payments/"
    return lambda **h: scene.api.post(url, {"provider": provider}, format="json", **h)


def payment_not_possible(scene):
    return _paying(scene, _own_order(scene))


def unknown_provider(scene):
    return _paying(scene, _own_order(scene, payment_method=Order.PaymentMethod.ONLINE), provider="barter")


def provider_unavailable(scene):
    def down(self, request):
        raise ProviderError("connection timed out", transient=True)

    scene.monkeypatch.setattr(SandboxProvider, "create_checkout", down)
    return _paying(scene, _own_order(scene, payment_method=Order.PaymentMethod.ONLINE))


def refund_not_possible(scene):
    return refunding(scene, captured_payment(scene.customer))


def payment_disputed(scene):
    payment = captured_payment(scene.customer)
    open_dispute(payment_id=payment.pk, by=StaffFactory(role="Finance"), reason="Bank case 42")
    return refunding(scene, payment, {"amount": 100, "reason": "Broken"})


def _carting(scene, product_id):
    return lambda **h: scene.api.post(
        "/api/v1/cart/lines/", {"product_id": product_id, "quantity": 1}, format="json", **h
    )


def cart_product_unavailable(scene):
    return _carting(scene, 999_999)


def out_of_stock(scene):
    return _carting(scene, ProductFactory(stock=0).pk)


def cart_line_not_found(scene):
    url = f"/api/v1/cart/lines/{ProductFactory(stock=5).pk}/"
    return lambda **h: scene.api.patch(url, {"quantity": 2}, format="json", **h)


CASES = [
    # code, HTTP status, scene
    ("not_authenticated", 401, not_authenticated),
    ("authentication_failed", 401, authentication_failed),
    ("not_found", 404, not_found),
    ("method_not_allowed", 405, method_not_allowed),
    ("not_acceptable", 406, not_acceptable),
    ("unsupported_media_type", 415, unsupported_media_type),
    ("parse_error", 400, parse_error),
    ("invalid", 400, invalid),
    ("invalid_credentials", 400, invalid_credentials),
    ("locked_out", 429, locked_out),
    ("throttled", 429, throttled),
    ("permission_denied", 403, permission_denied),
    ("order_not_found", 404, order_not_found),
    ("invalid_transition", 409, invalid_transition),
    ("stale_version", 412, stale_version),
    ("order_shipped", 409, order_shipped),
    ("invalid_checkout", 400, invalid_checkout),
    ("invalid_delivery", 400, invalid_delivery),
    ("product_unavailable", 400, product_unavailable),
    ("duplicate_item", 400, duplicate_item),
    ("store_credit_too_high", 400, store_credit_too_high),
    ("store_credit_short", 400, store_credit_short),
    ("payment_method_unavailable", 400, payment_method_unavailable),
    ("checkout_token_conflict", 409, checkout_token_conflict),
    ("contact_blocked", 422, contact_blocked),
    ("too_many_open_orders", 409, too_many_open_orders),
    ("prepayment_required", 422, prepayment_required),
    ("idempotency_key_reused", 422, idempotency_key_reused),
    ("idempotency_key_in_use", 409, idempotency_key_in_use),
    ("invalid_idempotency_key", 400, invalid_idempotency_key),
    ("idempotency_key_required", 400, idempotency_key_required),
    ("payment_not_found", 404, payment_not_found),
    ("payment_not_possible", 409, payment_not_possible),
    ("unknown_provider", 400, unknown_provider),
    ("provider_unavailable", 503, provider_unavailable),
    ("refund_not_possible", 409, refund_not_possible),
    ("payment_disputed", 409, payment_disputed),
    ("product_unavailable", 404, cart_product_unavailable),
    ("out_of_stock", 409, out_of_stock),
    ("cart_line_not_found", 404, cart_line_not_found),
]


@pytest.mark.parametrize(("code", "status", "scene"), CASES, ids=[c[2].__name__ for c in CASES])
def test_each_error_code_speaks_the_clients_language(code, status, scene, settings, monkeypatch, request):
    ask = scene(Scene(settings, monkeypatch, request))
    answers = {}
    for headers in UKRAINIAN + ENGLISH:
        response = ask(**headers)
        body = response.json()
        # the code and status never change with the language
        assert (response.status_code, body["code"]) == (status, code), (headers, body)
        language = "en" if headers in ENGLISH else "uk"
        assert response["Content-Language"] == language
        assert "Accept-Language" in response["Vary"]
        answers.setdefault(language, set()).add(body["detail"])
    # Ukrainian with no header, uk, an unknown language or *; English for en and en-GB
    assert all(CYRILLIC.search(detail) for detail in answers["uk"]), answers
    assert all(not CYRILLIC.search(detail) and re.search(r"[A-Za-z]{3}", detail) for detail in answers["en"]), answers


def test_a_replayed_answer_keeps_the_language_it_was_first_given_in_and_says_so():
    # given a refused checkout answered in English and stored under its Idempotency-Key
    api = client_for(UserFactory())
    body = order_body(phone="12345")
    first = api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-lang", HTTP_ACCEPT_LANGUAGE="en")
    assert (first.status_code, first["Content-Language"]) == (400, "en")
    # when the client retries it without saying a language
    again = api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-lang")
    # then it gets the same answer byte for byte, labelled with the language it is in
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["detail"] == "Enter a Ukrainian phone number as +380XXXXXXXXX."
    assert again["Content-Language"] == "en"


def test_an_unsupported_language_region_falls_back_to_its_language_and_quality_order_counts():
    api = APIClient()
    cases = {"en-US": "en", "uk-UA": "uk", "de,en;q=0.5": "en", "de, fr": "uk", "en;q=0.1, uk;q=0.9": "uk"}
    for header, language in cases.items():
        response = api.get(ORDERS, HTTP_ACCEPT_LANGUAGE=header)
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
        assert response["Content-Language"] == language, header

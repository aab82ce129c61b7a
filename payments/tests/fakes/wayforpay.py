"""A fake WayForPay API on 127.0.0.1: CREATE_INVOICE, CHECK_STATUS and REFUND on POST /api.

It speaks the JSON protocol of the reference (§2) and signs and checks signatures itself, with
its own small HMAC code, so the adapter is never checked against its own helpers. Orders live
in memory; the test moves them along (approve, decline, expire, refunds) and asks for the
signed serviceUrl callback WayForPay would post.

Where the reference is silent the fake picks a plausible answer, and says so:
* an invoice nobody has paid yet reports transactionStatus "Created";
* a request missing a mandatory field gets HTTP 400 (a fake-only convention);
* a refund makes the order "Refunded" (or "Voided" before settlement) and refundAmount
  carries the total refunded so far, also after a partial refund.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
from decimal import Decimal

from payments.tests.fakes.server import FakeProviderServer

TEST_MERCHANT = "test_merch_n1"
TEST_SECRET = "flk3409refn54t54t*FNJRET"  # WayForPay's published test key (wiki "Test details")
TEST_DOMAIN = "www.market.ua"


def _php(value) -> str:
    """What PHP's implode() prints for a decoded JSON value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value)


def _hmac(secret: str, values) -> str:
    message = ";".join(_php(v) for v in values)
    return hmac.new(secret.encode(), message.encode(), hashlib.md5).hexdigest()


def _floatval(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _major(minor: int):
    """Kopiyky as the JSON number WayForPay writes: 1547.36, 1000, 0.05."""
    return minor // 100 if minor % 100 == 0 else minor / 100


def _minor(value) -> int:
    return int(Decimal(str(value)) * 100)


class FakeWayForPay(FakeProviderServer):
    def __init__(self, *, merchant_account: str = TEST_MERCHANT, secret: str = TEST_SECRET):
        super().__init__()
        self.merchant_account = merchant_account
        self.secret = secret
        self.answer_secret = secret  # what answers and callbacks are signed with; tests may break it
        self.orders: dict[str, dict] = {}
        self.refund_mode = "instant"  # or "in_process": refunds wait in RefundInProcessing
        self._orders_lock = threading.Lock()

    def reset(self):
        """Forget every order, request and injected failure (one server serves many tests)."""
        with self._lock, self._orders_lock:
            self.requests.clear()
            self._failures.clear()
            self.orders.clear()
        self.refund_mode = "instant"
        self.answer_secret = self.secret

    # --- the protocol ---

    def handle(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes, str]:
        if path != "/api":
            return 404, b"Not found", "text/plain"
        try:
            request = json.loads(body)
        except ValueError:
            return 400, b"Bad request", "text/plain"
        handlers = {
            "CREATE_INVOICE": self._create_invoice,
            "CHECK_STATUS": self._check_status,
            "REFUND": self._refund,
        }
        handler = handlers.get(request.get("transactionType"))
        if handler is None:
            return 400, b"Unknown transactionType", "text/plain"
        with self._orders_lock:
            answer = handler(request)
        if isinstance(answer, tuple):
            return answer
        return 200, json.dumps(answer, ensure_ascii=False).encode(), "application/json"

    def _signature_ok(self, request: dict, values) -> bool:
        given = request.get("merchantSignature")
        return isinstance(given, str) and hmac.compare_digest(_hmac(self.secret, values), given)

    @staticmethod
    def _invalid_signature() -> dict:
        return {"reason": "Invalid signature", "reasonCode": 1113}

    @staticmethod
    def _missing(request: dict, *fields: str):
        missing = [f for f in fields if request.get(f) in (None, "", [])]
        if missing:
            return 400, f"Missing: {', '.join(missing)}".encode(), "text/plain"
        return None

    def _create_invoice(self, request: dict):
        fields = (
            "merchantAccount",
            "merchantDomainName",
            "orderReference",
            "orderDate",
            "amount",
            "currency",
            "productName",
            "productCount",
            "productPrice",
            "merchantSignature",
        )
        if missing := self._missing(request, *fields):
            return missing
        names, counts, prices = request["productName"], request["productCount"], request["productPrice"]
        # The PHP side casts amounts with floatval before hashing, so "1.00" would sign as "1".
        signed = [
            *(request[f] for f in fields[:4]),
            _floatval(request["amount"]),
            request["currency"],
            *names,
            *counts,
            *(_floatval(p) for p in prices),
        ]
        if request["merchantAccount"] != self.merchant_account or not self._signature_ok(request, signed):
            return self._invalid_signature()
        ref = request["orderReference"]
        if ref in self.orders:
            return {"reason": "Duplicate Order ID", "reasonCode": 1112}
        invoice_url = f"https://secure.wayforpay.com/invoice/i{secrets.token_hex(6)}"
        self._new_order(
            ref,
            request=request,
            amount=_minor(request["amount"]),
            currency=request["currency"],
            invoice_url=invoice_url,
        )
        return {"reason": "Ok", "reasonCode": 1100, "invoiceUrl": invoice_url, "qrCode": invoice_url + "/qr"}

    def _check_status(self, request: dict):
        if missing := self._missing(request, "merchantAccount", "orderReference", "merchantSignature"):
            return missing
        ref = request["orderReference"]
        if request["merchantAccount"] != self.merchant_account or not self._signature_ok(
            request, [request["merchantAccount"], ref]
        ):
            return self._invalid_signature()
        if ref not in self.orders:
            return {"orderReference": ref, "reason": "Order not found", "reasonCode": 1127}
        return self.transaction(ref)

    def _refund(self, request: dict):
        fields = ("merchantAccount", "orderReference", "amount", "currency", "comment", "merchantSignature")
        if missing := self._missing(request, *fields):
            return missing
        ref = request["orderReference"]
        signed = [request["merchantAccount"], ref, _floatval(request["amount"]), request["currency"]]
        if request["merchantAccount"] != self.merchant_account or not self._signature_ok(request, signed):
            return self._invalid_signature()
        order = self.orders.get(ref)
        if order is None:
            return {"orderReference": ref, "reason": "Order not found", "reasonCode": 1127}
        amount = _minor(request["amount"])
        refundable = order["amount"] - order["refunded"]
        if order["transactionStatus"] not in ("Approved", "Refunded") or request["currency"] != order["currency"]:
            refundable = 0
        if amount <= 0 or amount > refundable:
            return self._refund_answer(ref, "Declined", 1128, "Refund limit exceeded")
        if self.refund_mode == "in_process":
            order["pending_refund"] = order.get("pending_refund", 0) + amount
            order.update(transactionStatus="RefundInProcessing", reasonCode=1138, reason="Refund in processing")
            return self._refund_answer(ref, "RefundInProcessing", 1138, "Refund in processing")
        order["refunded"] += amount
        status = "Refunded" if order["settled"] else "Voided"
        order.update(transactionStatus=status, reasonCode=1100, reason="Ok")
        return self._refund_answer(ref, status, 1100, "Ok")

    def _refund_answer(self, ref: str, status: str, reason_code: int, reason: str) -> dict:
        answer = {
            "merchantAccount": self.merchant_account,
            "orderReference": ref,
            "transactionStatus": status,
            "reason": reason,
            "reasonCode": reason_code,
        }
        answer["merchantSignature"] = _hmac(self.answer_secret, [self.merchant_account, ref, status, reason_code])
        return answer

    # --- what the tests drive ---

    def transaction(self, order_ref: str, **overrides) -> dict:
        """The order as WayForPay reports it (CHECK_STATUS answer and callback body), signed.

        Overrides replace fields before signing; `merchantSignature=...` replaces the signature.
        """
        order = self.orders[order_ref]
        payload = {
            "merchantAccount": self.merchant_account,
            "orderReference": order_ref,
            "amount": _major(order["amount"]),
            "currency": order["currency"],
            "authCode": order["authCode"],
            "email": order["request"].get("clientEmail", "buyer@example.com"),
            "phone": "380501234567",
            "createdDate": order["createdDate"],
            "processingDate": order["processingDate"],
            "cardPan": order["cardPan"],
            "cardType": "Visa" if order["cardPan"] else None,
            "issuerBankCountry": "Ukraine" if order["cardPan"] else None,
            "issuerBankName": "PrivatBank" if order["cardPan"] else None,
            "recToken": "",
            "transactionStatus": order["transactionStatus"],
            "reason": order["reason"],
            "reasonCode": order["reasonCode"],
            "fee": _major(order["fee"]),
            "paymentSystem": "card" if order["cardPan"] else None,
            "refundAmount": _major(order["refunded"]),
        }
        signature = overrides.pop("merchantSignature", None)
        payload.update(overrides)
        payload["merchantSignature"] = (
            signature
            if signature is not None
            else _hmac(
                self.answer_secret,
                [
                    payload.get(f)
                    for f in (
                        "merchantAccount",
                        "orderReference",
                        "amount",
                        "currency",
                        "authCode",
                        "cardPan",
                        "transactionStatus",
                        "reasonCode",
                    )
                ],
            )
        )
        return payload

    def signed_callback(self, order_ref: str, **overrides) -> bytes:
        """The serviceUrl body WayForPay would post for the order now (JSON)."""
        return json.dumps(self.transaction(order_ref, **overrides), ensure_ascii=False).encode()

    def add_order(self, order_ref: str, *, amount: int, currency: str = "UAH", email: str = ""):
        """An invoice as if CREATE_INVOICE had made it (for tests that only need callbacks)."""
        with self._orders_lock:
            self._new_order(
                order_ref,
                request={"clientEmail": email} if email else {},
                amount=amount,
                currency=currency,
                invoice_url="",
            )

    def _new_order(self, ref: str, *, request: dict, amount: int, currency: str, invoice_url: str):
        now = int(time.time())
        self.orders[ref] = {
            "request": request,
            "amount": amount,
            "currency": currency,
            "transactionStatus": "Created",
            "reasonCode": 1100,
            "reason": "Ok",
            "authCode": "",
            "cardPan": "",
            "fee": 0,
            "refunded": 0,
            "settled": True,
            "createdDate": now,
            "processingDate": now,
            "invoiceUrl": invoice_url,
        }

    def _move(self, order_ref: str, **fields):
        with self._orders_lock:
            self.orders[order_ref].update(processingDate=int(time.time()), **fields)

    def approve(
        self,
        order_ref: str,
        *,
        auth_code: str = "541963",
        card_pan: str = "41****8217",
        fee: int = 0,
        settled: bool = True,
    ):
        """The shopper paid; `fee` in kopiyky; settled=False leaves it voidable."""
        self._move(
            order_ref,
            transactionStatus="Approved",
            reasonCode=1100,
            reason="Ok",
            authCode=auth_code,
            cardPan=card_pan,
            fee=fee,
            settled=settled,
        )

    def decline(
        self,
        order_ref: str,
        *,
        reason_code: int = 1104,
        reason: str = "Insufficient Funds",
        card_pan: str = "41****8217",
    ):
        self._move(order_ref, transactionStatus="Declined", reasonCode=reason_code, reason=reason, cardPan=card_pan)

    def expire(self, order_ref: str):
        # The reason code for an expired invoice isn't in the reference; the adapter doesn't read it.
        self._move(order_ref, transactionStatus="Expired", reasonCode=1124, reason="Order expired")

    def set_status(self, order_ref: str, status: str, *, reason_code: int = 1100, reason: str = "Ok"):
        """Any other transactionStatus (InProcessing, Pending, WaitingAuthComplete...)."""
        self._move(order_ref, transactionStatus=status, reasonCode=reason_code, reason=reason)

    def refund(self, order_ref: str, amount: int):
        """A refund made in the merchant portal (not through our API), `amount` in kopiyky."""
        with self._orders_lock:
            order = self.orders[order_ref]
            order["refunded"] += amount
            order.update(transactionStatus="Refunded", reasonCode=1100, reason="Ok")

    def complete_refunds(self, order_ref: str):
        """Refunds waiting in RefundInProcessing go through (the shop's balance was topped up)."""
        with self._orders_lock:
            order = self.orders[order_ref]
            order["refunded"] += order.pop("pending_refund", 0)
            order.update(transactionStatus="Refunded", reasonCode=1100, reason="Ok")

    def api_requests(self) -> list[dict]:
        """The JSON bodies posted to /api so far, oldest first."""
        return [json.loads(body) for path, body, _ in self.requests if path == "/api"]

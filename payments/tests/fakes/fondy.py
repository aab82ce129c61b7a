"""A fake Fondy (hutko, Flitt) API: the protocol 1.0 JSON envelope on 127.0.0.1.

It checks every request's signature with the merchant secret, keeps orders in memory, and
builds signed callbacks the way Fondy does, so the adapter's real HTTP and signing code run.
The signature is computed here independently of payments.providers.fondy on purpose: a bug
there must not be mirrored here.

Error codes 1008, 1014 and 1016 are Fondy's (reference §1.1); 1018 "Order not found" is this
fake's choice.
"""

import hashlib
import json
import threading
from urllib.parse import urlencode

from payments.tests.fakes.server import FakeProviderServer

SECRET_MASK = "**********"

REQUIRED = {
    "/checkout/url/": ("order_id", "order_desc", "amount", "currency", "merchant_id", "signature"),
    "/status/order_id": ("order_id", "merchant_id", "signature"),
    "/reverse/order_id": ("order_id", "merchant_id", "amount", "currency", "signature"),
}


def fondy_signature_string(params: dict, secret: str) -> str:
    """SECRET|values of the non-empty fields in key order, as Fondy's docs build it."""
    parts = [secret]
    for key in sorted(params):
        if key in ("signature", "response_signature_string"):
            continue
        value = params[key]
        if value is None or value == "":
            continue
        parts.append(str(value))
    return "|".join(parts)


def fondy_signature(params: dict, secret: str) -> str:
    return hashlib.sha1(fondy_signature_string(params, secret).encode("utf-8")).hexdigest()


class FakeFondy(FakeProviderServer):
    """Fondy's API for one merchant; `prefix` mimics base URLs like https://pay.hutko.org/api."""

    def __init__(self, *, merchant_id: str = "1396424", secret: str = "test", prefix: str = ""):
        super().__init__()
        # serve_forever's default 0.5 s poll would make every test's stop() wait that long.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.merchant_id = merchant_id
        self.secret = secret
        self.prefix = prefix.rstrip("/")
        self.orders: dict[str, dict] = {}
        self.reverse_outcomes: list[str] = []  # queued reverse_status answers ("created", "declined")
        self.pending_reversals: dict[str, int] = {}
        self._tamper_next = 0
        self._next_payment_id = 800000000
        self._orders_lock = threading.Lock()

    # -- the HTTP side ------------------------------------------------------------------

    def handle(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes, str]:
        route = path[len(self.prefix) :]
        if not path.startswith(self.prefix + "/") or route not in REQUIRED:
            return 404, b"not found", "text/plain"
        try:
            request = json.loads(body)["request"]
            if not isinstance(request, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._answer(self._failure(1008, "Parameter missing: request"))
        for name in REQUIRED[route]:
            if request.get(name) in (None, ""):
                return self._answer(self._failure(1008, f"Parameter missing: {name}"))
        if str(request["merchant_id"]) != self.merchant_id:
            return self._answer(self._failure(1016, "Merchant not found"))
        if request["signature"] != fondy_signature(request, self.secret):
            return self._answer(self._failure(1014, "Invalid signature"))
        with self._orders_lock:
            if route == "/checkout/url/":
                response = self._checkout(request)
            elif route == "/status/order_id":
                response = self._status(request)
            else:
                response = self._reverse(request)
        return self._answer(response)

    def _checkout(self, request: dict) -> dict:
        order_id = str(request["order_id"])
        order = self.orders.get(order_id)
        if order is None:
            order = self.add_order(
                order_id,
                amount=int(request["amount"]),
                currency=request["currency"],
                order_desc=request["order_desc"],
                sender_email=request.get("sender_email", ""),
            )
            order["request"] = dict(request)
        return {
            "response_status": "success",
            "checkout_url": self.checkout_url(order_id),
            "payment_id": order["payment_id"],
        }

    def _status(self, request: dict) -> dict:
        order_id = str(request["order_id"])
        if order_id not in self.orders:
            return self._failure(1018, "Order not found")
        return self._signed(self.order_fields(order_id))

    def _reverse(self, request: dict) -> dict:
        order_id = str(request["order_id"])
        order = self.orders.get(order_id)
        if order is None:
            return self._failure(1018, "Order not found")
        amount = int(request["amount"])
        remaining = order["amount"] - order["reversal_amount"] - self.pending_reversals.get(order_id, 0)
        outcome = self.reverse_outcomes.pop(0) if self.reverse_outcomes else "approved"
        description = ""
        if order["order_status"] not in ("approved", "reversed"):
            outcome, description = "declined", "Order is not approved"
        elif request["currency"] != order["currency"]:
            outcome, description = "declined", "Currency does not match the order"
        elif amount <= 0 or amount > remaining:
            outcome, description = "declined", "Reversal amount exceeds the order amount"
        elif outcome == "declined":
            description = "Reversal declined"
        if outcome == "approved":
            self._apply_reversal(order, amount)
        elif outcome == "created":
            self.pending_reversals[order_id] = self.pending_reversals.get(order_id, 0) + amount
        order.setdefault("reverse_requests", []).append(dict(request))
        return self._signed(
            {
                "order_id": order_id,
                "merchant_id": int(self.merchant_id),
                "reverse_status": outcome,
                "response_status": "success",
                "response_code": 1005 if outcome == "declined" else "",
                "response_description": description,
            }
        )

    def _answer(self, response: dict) -> tuple[int, bytes, str]:
        if self._tamper_next and "signature" in response:
            self._tamper_next -= 1
            response = {**response, "signature": "0" * 40}
        return 200, json.dumps({"response": response}).encode(), "application/json"

    @staticmethod
    def _failure(code: int, message: str) -> dict:
        return {
            "response_status": "failure",
            "error_code": code,
            "error_message": message,
            "request_id": "fakeRequest0001",
        }

    def _signed(self, fields: dict, secret: str | None = None) -> dict:
        fields = dict(fields)
        secret = self.secret if secret is None else secret
        # Fondy returns the hint in test mode, with the key masked (reference §1.2).
        fields["response_signature_string"] = fondy_signature_string(fields, SECRET_MASK)
        fields["signature"] = fondy_signature(fields, secret)
        return fields

    # -- helpers for tests ----------------------------------------------------------------

    def checkout_url(self, order_id: str) -> str:
        return f"https://pay.fondy.eu/merchants/fake/default/index.html?token={self.orders[order_id]['payment_id']}"

    def add_order(
        self, order_id: str, *, amount: int, currency: str = "UAH", order_desc: str = "Order", sender_email: str = ""
    ) -> dict:
        """Create an order as a checkout would, without the HTTP round trip."""
        self._next_payment_id += 1
        order = {
            "order_id": order_id,
            "amount": amount,
            "currency": currency,
            "order_desc": order_desc,
            "sender_email": sender_email,
            "payment_id": self._next_payment_id,
            "order_status": "created",
            "tran_type": "purchase",
            "reversal_amount": 0,
            "response_code": "",
            "response_description": "",
            "fee": None,
            "card": False,
        }
        self.orders[order_id] = order
        return order

    def approve(self, order_id: str, *, fee: int | None = 0) -> None:
        self.orders[order_id].update(
            order_status="approved", response_code="", response_description="", fee=fee, card=True
        )

    def decline(
        self, order_id: str, *, response_code: int = 1005, response_description: str = "Declined by issuer"
    ) -> None:
        self.orders[order_id].update(
            order_status="declined", response_code=response_code, response_description=response_description, card=True
        )

    def expire(self, order_id: str) -> None:
        self.orders[order_id].update(order_status="expired", response_code="", response_description="")

    def process(self, order_id: str, *, response_code: int | str = "", response_description: str = "") -> None:
        """The shopper is paying, or (with a response_code) an attempt failed under delayed=Y."""
        self.orders[order_id].update(
            order_status="processing", response_code=response_code, response_description=response_description
        )

    def complete_reversal(self, order_id: str) -> None:
        """Settle the reversals answered with reverse_status "created"."""
        self._apply_reversal(self.orders[order_id], self.pending_reversals.pop(order_id))

    def tamper_next_response(self, times: int = 1) -> None:
        """Answer the next signed responses with a wrong signature."""
        self._tamper_next += times

    def _apply_reversal(self, order: dict, amount: int) -> None:
        order["reversal_amount"] += amount
        order["order_status"] = "reversed"

    def order_fields(self, order_id: str) -> dict:
        """The order as a status answer or callback carries it (unsigned), like docs' examples."""
        order = self.orders[order_id]
        paid = order["card"]
        additional_info = {
            "capture_status": None,
            "capture_amount": None,
            "reservation_data": None,
            "transaction_id": order["payment_id"] * 2 if paid else None,
            "bank_response_code": None,
            "bank_response_description": None,
            "client_fee": 0.0 if paid else None,
            "settlement_fee": 0.0,
            "bank_name": None,
            "bank_country": None,
            "card_type": "VISA" if paid else None,
            "card_product": "empty_visa" if paid else None,
            "card_category": None,
            "timeend": "01.03.2026 05:18:17",
            "ipaddress_v4": "52.30.149.20",
            "payment_method": "card" if paid else None,
            "is_test": True,
        }
        return {
            "rrn": "111111111111" if paid else "",
            "masked_card": "444455XXXXXX1111" if paid else "",
            "sender_cell_phone": "",
            "sender_account": "",
            "currency": order["currency"],
            "fee": "" if order["fee"] is None else str(order["fee"]),
            "reversal_amount": str(order["reversal_amount"]),
            "settlement_amount": "0",
            "actual_amount": str(order["amount"]) if paid else "",
            "response_description": order["response_description"],
            "sender_email": order["sender_email"],
            "order_status": order["order_status"],
            "response_status": "success",
            "order_time": "28.02.2026 19:18:16",
            "actual_currency": order["currency"] if paid else "",
            "order_id": order_id,
            "tran_type": order["tran_type"],
            "eci": "7" if paid else "",
            "settlement_date": "",
            "payment_system": "card" if paid else "",
            "approval_code": "123456" if order["order_status"] == "approved" else "",
            "merchant_id": int(self.merchant_id),
            "settlement_currency": "",
            "payment_id": order["payment_id"],
            "card_bin": 444455 if paid else "",
            "response_code": order["response_code"],
            "card_type": "VISA" if paid else "",
            "amount": str(order["amount"]),
            "product_id": "",
            "merchant_data": "",
            "rectoken": "",
            "rectoken_lifetime": "",
            "verification_status": "",
            "parent_order_id": "",
            "fee_oplata": "0",
            "additional_info": json.dumps(additional_info),
        }

    def signed_callback_fields(self, order_id: str, /, *, secret: str | None = None, **overrides) -> dict:
        """The order's callback fields, `overrides` applied (None removes a field), then signed."""
        fields = self.order_fields(order_id)
        for key, value in overrides.items():
            if value is None:
                fields.pop(key, None)
            else:
                fields[key] = value
        return self._signed(fields, secret)

    def signed_callback(self, order_id: str, /, *, wrap: bool = False, secret: str | None = None, **overrides) -> bytes:
        """A JSON callback body, flat or in the {"response": ...} envelope."""
        fields = self.signed_callback_fields(order_id, secret=secret, **overrides)
        return json.dumps({"response": fields} if wrap else fields).encode()

    def signed_callback_form(self, order_id: str, /, *, secret: str | None = None, **overrides) -> bytes:
        """An application/x-www-form-urlencoded callback body."""
        fields = self.signed_callback_fields(order_id, secret=secret, **overrides)
        return urlencode({key: str(value) for key, value in fields.items()}).encode()

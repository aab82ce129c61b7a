"""A fake LiqPay speaking its real protocol: /api/request with signed `data` and `signature`.

It signs and checks on its own (not through the adapter), so an adapter bug cannot agree with
itself. Answers are plain JSON, as LiqPay's are; amounts are JSON numbers in major units.
Tests drive it with helpers: `checkout(form_fields)` (the shopper's browser posting our form),
`pay`, `fail`, `set_status`, `signed_callback`, and `refund_mode` for refunds LiqPay reserves
instead of paying out at once.
"""

import base64
import hashlib
import itertools
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlencode

from payments.providers.base import ProviderConfig
from payments.tests.fakes.server import FakeProviderServer

PAID_STATUSES = {"success", "sandbox", "wait_compensation", "wait_accept"}
COMMISSION_RATE = Decimal("0.015")


def liqpay_sign(private_key: str, data: str) -> str:
    return base64.b64encode(hashlib.sha1(f"{private_key}{data}{private_key}".encode()).digest()).decode()


def liqpay_encode(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def major(minor: int) -> float:
    """Kopiyky as the JSON number LiqPay sends (7.34, 1.0)."""
    return float(Decimal(minor) / 100)


class FakeLiqPay(FakeProviderServer):
    def __init__(self, *, public_key: str = "sandbox_i0000000001", private_key: str = "sandbox_fake_private_key"):
        super().__init__()
        self.public_key = public_key
        self.private_key = private_key
        self.checkouts: dict[str, dict] = {}  # order_id -> the decoded checkout form
        self.orders: dict[str, dict] = {}  # order_id -> LiqPay's payment record
        self.refunded: dict[str, int] = {}  # order_id -> kopiyky refunded so far
        self.refund_mode = "reversed"  # or "wait_reserve": LiqPay reserves from future payments
        self._payment_ids = itertools.count(2_000_000_001)

    def config(self, **overrides) -> ProviderConfig:
        fields = {
            "code": "liqpay",
            "public_key": self.public_key,
            "merchant_id": self.public_key,
            "secret": self.private_key,
            "base_url": self.base_url,
            "timeout": 1,
        }
        return ProviderConfig(**{**fields, **overrides})

    # --- what the shopper and LiqPay do ---------------------------------------------------

    def checkout(self, form_fields) -> dict:
        """The shopper's browser posts our form: check it like LiqPay would and remember it."""
        data, signature = form_fields["data"], form_fields["signature"]
        assert signature == liqpay_sign(self.private_key, data), "checkout form signature is wrong"
        params = json.loads(base64.b64decode(data, validate=True))
        assert params["public_key"] == self.public_key
        self.checkouts[params["order_id"]] = params
        return params

    def pay(
        self, order_id: str, *, amount: int | None = None, currency: str | None = None, status: str = "success", **extra
    ) -> dict:
        """The shopper pays: the order gets a payment record with `status`."""
        form = self.checkouts.get(order_id, {})
        if amount is None:
            amount = int(Decimal(form["amount"]) * 100)
        record = {
            "action": form.get("action", "pay"),
            "payment_id": next(self._payment_ids),
            "status": status,
            "version": 3,
            "type": "buy",
            "paytype": "card",
            "public_key": self.public_key,
            "acq_id": 414963,
            "order_id": order_id,
            "liqpay_order_id": f"FAKE{len(self.orders) + 1:08d}",
            "description": form.get("description", "Order"),
            "sender_card_mask2": "424242*42",
            "sender_card_bank": "Test",
            "sender_card_type": "visa",
            "sender_card_country": 804,
            "amount": major(amount),
            "currency": currency or form.get("currency", "UAH"),
            "sender_commission": 0.0,
            "receiver_commission": major(int((amount * COMMISSION_RATE).quantize(Decimal(1)))),
            "agent_commission": 0.0,
            "amount_debit": major(amount),
            "amount_credit": major(amount),
            "is_3ds": False,
            "language": form.get("language", "uk"),
            "create_date": 1_700_000_000_000,
            "end_date": 1_700_000_005_000,
            "transaction_id": next(self._payment_ids),
        }
        if form.get("sandbox") == "1" and status == "success":
            record["status"] = "sandbox"
        record.update(extra)
        self.orders[order_id] = record
        return record

    def fail(
        self,
        order_id: str,
        *,
        err_code: str = "limit",
        err_description: str = "The limit for the amount or number of customer payments has been exceeded",
        status: str = "failure",
        **extra,
    ) -> dict:
        """The payment is declined."""
        return self.pay(order_id, status=status, err_code=err_code, err_description=err_description, **extra)

    def set_status(self, order_id: str, status: str, **fields) -> dict:
        self.orders[order_id].update(status=status, **fields)
        return self.orders[order_id]

    def signed_callback(self, order_id: str, **overrides) -> bytes:
        """The form body LiqPay posts to server_url for this order's current record."""
        data = liqpay_encode({**self.orders[order_id], **overrides})
        return urlencode({"data": data, "signature": liqpay_sign(self.private_key, data)}).encode()

    # --- the API ---------------------------------------------------------------------------

    def handle(self, path, body, headers):
        if path != "/api/request":
            return 404, b"Not found", "text/plain"
        fields = parse_qs(body.decode(), keep_blank_values=True)
        data = fields.get("data", [""])[0]
        signature = fields.get("signature", [""])[0]
        if not data or signature != liqpay_sign(self.private_key, data):
            return self._error("invalid_signature", "Invalid signature")
        params = json.loads(base64.b64decode(data))
        if params.get("public_key") != self.public_key:
            return self._error("public_key_not_found", "Public_key is not found")
        if params.get("version") != 3:
            return self._error("err_version", "Unsupported API version")
        if params.get("action") == "status":
            return self._status(params)
        if params.get("action") == "refund":
            return self._refund(params)
        return self._error("err_path", "Request url is incorrect")

    def _status(self, params):
        order = self.orders.get(params.get("order_id"))
        if order is None:
            return self._error("payment_not_found", "Payment is not found")
        return self._json({"result": "ok", **order})

    def _refund(self, params):
        order_id = params.get("order_id")
        order = self.orders.get(order_id)
        if order is None:
            return self._error("payment_not_found", "Payment is not found")
        if order["status"] not in PAID_STATUSES | {"reversed"}:
            return self._error("payment_err_status", "Payment status is incorrect", order_id=order_id)
        paid = int(Decimal(repr(order["amount"])) * 100)
        already = self.refunded.get(order_id, 0)
        amount = int(Decimal(params["amount"]) * 100) if "amount" in params else paid - already
        if amount <= 0 or already + amount > paid:
            return self._error("amount_limit", "Amount limit was exceeded", order_id=order_id)
        self.refunded[order_id] = already + amount
        status = self.refund_mode
        if status == "reversed":
            order.update(status="reversed", refund_amount=major(already + amount))
        else:
            order.update(status=status)
        return self._json(
            {
                "result": "ok",
                "action": "refund",
                "payment_id": order["payment_id"],
                "order_id": order_id,
                "status": status,
            }
        )

    def _error(self, err_code: str, err_description: str, **extra):
        return self._json(
            {"result": "error", "status": "error", "err_code": err_code, "err_description": err_description, **extra}
        )

    @staticmethod
    def _json(payload: dict):
        return 200, json.dumps(payload).encode(), "application/json"

"""WayForPay: invoices created through the API, signed serviceUrl callbacks, status and refunds.

Protocol reference: the project's payment-providers research notes, §2 (the official PHP SDK,
wayforpay/php-sdk, is the authority; there is no usable Python SDK).

* Endpoints: everything goes to `{base_url}/api` (base_url is https://api.wayforpay.com). The
  shopper is sent to the `invoiceUrl` that CREATE_INVOICE returns, so we never build the
  browser form for secure.wayforpay.com/pay and need no second URL setting.
* Signatures: hex HMAC-MD5 with the merchant secret over a fixed list of fields joined with
  ";" (UTF-8). Missing fields count as "".
* Amounts: decimal major units formatted the way PHP prints a float ("1547.36", "1000",
  "0.05"); the exact string we send is the string we sign. Kopiyky are converted here and
  nowhere else, with integer arithmetic only.
* Callbacks sign only eight fields (merchantAccount, orderReference, amount, currency,
  authCode, cardPan, transactionStatus, reasonCode). The event, amount, currency, merchant
  and dedupe key come from those only; everything else (fee, email, dates, reason text...)
  is information. The one unsigned value passed on is a refund's refundAmount, capped at the
  signed amount (see _translate).
  Nothing is timestamped, so a replayed callback verifies forever: the core's dedupe key,
  monotonic state machine and amount/currency/merchant checks are the defence (§2.7).
"""

import json
import time
from collections.abc import Callable, Iterable, Mapping

from payments.providers.base import (
    CallbackResult,
    CheckoutRequest,
    CheckoutSession,
    Event,
    InvalidSignature,
    PaymentProvider,
    ProviderConfig,
    ProviderError,
    ProviderUpdate,
    RefundResult,
)
from payments.providers.http import post
from payments.providers.wayforpay_protocol import (
    API_VERSION,
    CALLBACK_SIGNED_FIELDS,
    CHECK_STATUS_RESPONSE_SIGNED_FIELDS,
    OK_REASON_CODES,
    REASON_ORDER_NOT_FOUND,
    REFUND_EVENTS,
    REFUND_RESPONSE_SIGNED_FIELDS,
    STATUS_EVENTS,
    decode_callback,
    format_amount,
    optional_minor,
    parse_amount,
    php_string,
    raw_string,
    sign,
    signature_matches,
)

# Re-exported: tests and callers read the protocol helpers from the adapter's module.
__all__ = ["WayForPayProvider", "format_amount", "parse_amount", "sign"]


class WayForPayProvider(PaymentProvider):
    code = "wayforpay"
    label = "WayForPay"

    def __init__(self, config: ProviderConfig, *, clock: Callable[[], float] = time.time):
        super().__init__(config)
        self._clock = clock

    @property
    def api_url(self) -> str:
        return self.config.base_url.rstrip("/") + "/api"

    def _sign(self, values: Iterable[object]) -> str:
        return sign(self.config.secret, values)

    def _now(self) -> int:
        return int(self._clock())

    def _call(self, body: dict) -> dict:
        answer = post(self.api_url, timeout=self.config.timeout, json_body=body)
        if not isinstance(answer, dict):
            raise ProviderError(
                "WayForPay answered with JSON that is not an object", transient=True, code="bad_response"
            )
        return answer

    # -- checkout --

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Create an invoice (CREATE_INVOICE) and send the shopper to its invoiceUrl."""
        if request.items:
            names = [name for name, _, _ in request.items]
            counts = [int(quantity) for _, quantity, _ in request.items]
            prices = [format_amount(unit_price) for _, _, unit_price in request.items]
        else:
            names, counts, prices = [request.description], [1], [format_amount(request.amount)]
        body = {
            "transactionType": "CREATE_INVOICE",
            "merchantAccount": self.config.merchant_id,
            "merchantAuthType": "SimpleSignature",
            "merchantDomainName": self.config.merchant_domain,
            "apiVersion": API_VERSION,
            "language": "UA",
            "orderReference": request.payment_ref,
            "orderDate": self._now(),
            "amount": format_amount(request.amount),
            "currency": request.currency,
            "productName": names,
            "productCount": counts,
            "productPrice": prices,
            "serviceUrl": request.callback_url,
            "returnUrl": request.return_url,
            # Both bound how long the invoice can be paid, in seconds; WayForPay's defaults are
            # far longer than our reservation, so they are always sent explicitly.
            "orderTimeout": request.lifetime_seconds,
            "orderLifetime": request.lifetime_seconds,
        }
        if request.customer_email:
            body["clientEmail"] = request.customer_email
        # Names, then counts, then prices (ProductCollection::getConcatenatedString).
        body["merchantSignature"] = self._sign(
            [
                body["merchantAccount"],
                body["merchantDomainName"],
                body["orderReference"],
                body["orderDate"],
                body["amount"],
                body["currency"],
                *names,
                *counts,
                *prices,
            ]
        )
        answer = self._call(body)
        reason_code = php_string(answer.get("reasonCode"))
        if reason_code not in OK_REASON_CODES:
            raise ProviderError(
                str(answer.get("reason") or f"WayForPay refused the invoice ({reason_code})"),
                transient=False,
                code=reason_code,
            )
        invoice_url = answer.get("invoiceUrl")
        if not isinstance(invoice_url, str) or not invoice_url:
            raise ProviderError(
                "WayForPay accepted the invoice but sent no invoiceUrl", transient=False, code="no_invoice_url"
            )
        return CheckoutSession(redirect_url=invoice_url)

    # -- callbacks --

    def parse_callback(self, *, raw_body: bytes, content_type: str, headers: Mapping[str, str]) -> CallbackResult:
        """Verify a serviceUrl callback and answer with the signed "accept" it requires.

        The JSON/form decision is made from the body itself: WayForPay has been seen posting
        JSON under a form content type, so the header is not trusted for it.
        """
        payload = decode_callback(raw_body)
        if not signature_matches(self.config.secret, payload, CALLBACK_SIGNED_FIELDS, payload.get("merchantSignature")):
            raise InvalidSignature("The WayForPay callback signature does not match")
        update = self._translate(payload)
        return CallbackResult(
            updates=(update,),
            ack_body=self._accept_answer(update.payment_ref),
            ack_content_type="application/json",
        )

    def _accept_answer(self, order_reference: str) -> bytes:
        """The body that tells WayForPay to stop re-sending (ServiceUrlHandler::getSuccessResponse)."""
        now = self._now()
        answer = {
            "orderReference": order_reference,
            "status": "accept",
            "time": now,
            "signature": self._sign([order_reference, "accept", now]),
        }
        return json.dumps(answer, ensure_ascii=False).encode()

    def _translate(self, payload: Mapping) -> ProviderUpdate:
        """Turn a verified transaction (callback or CHECK_STATUS answer) into a ProviderUpdate.

        Only the signed fields decide the event, amount, currency, merchant and dedupe key.
        """
        signed = {name: raw_string(payload.get(name)) for name in CALLBACK_SIGNED_FIELDS}
        order_reference = signed["orderReference"]
        status = signed["transactionStatus"]
        if not order_reference or not status:
            raise InvalidSignature("The transaction has no orderReference or transactionStatus")
        try:
            amount = parse_amount(signed["amount"])
        except ValueError:
            raise InvalidSignature(f"The transaction amount {signed['amount']!r} is not a valid amount")
        # An unknown status must not move money either way: it reads as "nothing final yet", the
        # raw status is kept for the audit trail and reconciliation settles it later.
        event = STATUS_EVENTS.get(status, Event.PENDING)
        dedupe_key = f"wayforpay:{order_reference}:{status}:{signed['reasonCode']}:{signed['authCode']}"
        refunded_total = None
        if event is Event.REFUNDED:
            # The refunded total is WayForPay's refundAmount when the payload carries one, else the
            # whole (signed) amount. refundAmount is NOT signed: in a callback it is a claim, capped
            # here at the signed amount so it can never exceed what was paid; the core's own refund
            # records and a CHECK_STATUS answer (fetched by us over HTTPS) are the authority.
            refunded_total = optional_minor(payload.get("refundAmount"), upper=amount) or amount
            # A second partial refund repeats status, reasonCode and authCode; the total is what
            # makes it a new fact rather than a redelivery.
            dedupe_key += f":{refunded_total}"
        return ProviderUpdate(
            payment_ref=order_reference,
            event=event,
            provider_status=status,
            dedupe_key=dedupe_key,
            amount=amount,
            currency=signed["currency"],
            merchant_id=signed["merchantAccount"],
            # The fee is unsigned and informational (for the shop owner's reports); nothing is
            # decided from it, and a value we can't read is simply not reported.
            fee=optional_minor(payload.get("fee")),
            refunded_total=refunded_total,
            message=str(payload.get("reason") or ""),
            raw={key: value if isinstance(value, dict | list) else raw_string(value) for key, value in payload.items()},
        )

    # -- reconciliation --

    def fetch_status(self, *, payment_ref: str) -> ProviderUpdate:
        """Ask CHECK_STATUS for the transaction and translate it like a callback."""
        body = {
            "transactionType": "CHECK_STATUS",
            "merchantAccount": self.config.merchant_id,
            "orderReference": payment_ref,
            "apiVersion": API_VERSION,
        }
        body["merchantSignature"] = self._sign([body["merchantAccount"], payment_ref])
        answer = self._call(body)
        reason_code = php_string(answer.get("reasonCode"))
        reason = str(answer.get("reason") or "")
        if reason_code == REASON_ORDER_NOT_FOUND or not answer.get("transactionStatus"):
            raise ProviderError(
                reason or f"WayForPay has no status for {payment_ref} ({reason_code})",
                transient=False,
                code=reason_code or "no_status",
            )
        if not signature_matches(
            self.config.secret, answer, CHECK_STATUS_RESPONSE_SIGNED_FIELDS, answer.get("merchantSignature")
        ):
            # Our secret is wrong or the answer isn't WayForPay's: a person has to look.
            raise ProviderError(
                "The CHECK_STATUS answer is not signed with our secret", transient=False, code="invalid_signature"
            )
        if php_string(answer.get("orderReference")) != payment_ref:
            raise ProviderError(
                f"WayForPay answered about another order than {payment_ref}", transient=False, code="wrong_order"
            )
        try:
            return self._translate(answer)
        except InvalidSignature as exc:
            raise ProviderError(str(exc), transient=False, code="bad_response")

    # -- refunds --

    def refund(self, *, payment_ref: str, amount: int, currency: str, refund_ref: str, reason: str) -> RefundResult:
        """Refund `amount` kopiyky with REFUND (a void before settlement, a refund after).

        WayForPay has no idempotency key for refunds: a retry after a timeout may refund twice,
        so the caller checks fetch_status before retrying an unknown outcome.
        """
        if amount <= 0:
            raise ValueError("A refund must be for a positive amount")
        body = {
            "transactionType": "REFUND",
            "merchantAccount": self.config.merchant_id,
            "orderReference": payment_ref,
            "amount": format_amount(amount),
            "currency": currency,
            # Mandatory and shown in the merchant portal; the refund reference ties it back to us.
            "comment": f"{reason} [{refund_ref}]" if reason else f"Refund {refund_ref}",
            "apiVersion": API_VERSION,
        }
        body["merchantSignature"] = self._sign([body["merchantAccount"], payment_ref, body["amount"], currency])
        answer = self._call(body)
        reason_code = php_string(answer.get("reasonCode"))
        message = str(answer.get("reason") or "")
        status = php_string(answer.get("transactionStatus"))
        if not status:
            # A refusal before any transaction happened (bad signature, unknown order...).
            return RefundResult(
                event=Event.FAILED,
                provider_status=reason_code,
                message=f"{message} ({reason_code})" if message else f"WayForPay refused the refund ({reason_code})",
                raw=dict(answer),
            )
        if not signature_matches(
            self.config.secret, answer, REFUND_RESPONSE_SIGNED_FIELDS, answer.get("merchantSignature")
        ):
            # The money may or may not have moved: not a FAILED the caller could retry on.
            raise ProviderError(
                "The REFUND answer is not signed with our secret", transient=False, code="invalid_signature"
            )
        event = REFUND_EVENTS.get(status, Event.FAILED)
        if event is Event.FAILED and not message:
            message = f"WayForPay answered {status} ({reason_code})"
        return RefundResult(event=event, provider_status=status, message=message, raw=dict(answer))

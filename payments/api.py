"""API: pay for one's own order, read a payment, and refund one (finance staff).

Lookups are scoped to who asks (somebody else's order or payment is "not found"); writes go
through payments.services and honour the Idempotency-Key header (core.idempotency). A
refund needs the key: it becomes the refund's own idempotency key, so a retry refunds once
even after the stored response has expired.
"""

import hashlib

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IDEMPOTENCY_KEY_PARAMETER, error_response, replayed_response_header
from core.exceptions import ValidationError
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import MAX_KEY_LENGTH, idempotent
from orders.selectors import get_order_for_customer
from payments.models import Payment, Refund
from payments.providers import enabled_codes
from payments.return_links import callback_url_for, return_url_for
from payments.selectors import get_payment_for_user, get_refundable_payment
from payments.services import request_refund, start_order_payment

REFUND_KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        f"Required (1 to {MAX_KEY_LENGTH} characters, e.g. a UUID): it is the refund's own key, so a retry "
        "never refunds twice. The same key with the same body replays the first answer; with another "
        "body it is refused with 422 (idempotency_key_reused)."
    ),
)


class CanRefundPayments(BasePermission):
    message = gettext_lazy("Only finance staff may refund payments.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("payments.refund_payment"))


# --- serializers -----------------------------------------------------------------------------


def _one_of(choices) -> str:
    return "One of: " + ", ".join(f"`{value}`" for value, _ in choices) + "."


# Statuses are CharFields documented by their values: drf-spectacular names choice sets by the
# field's name, and a second "status" enum beside the order's would be a naming collision.
PAYMENT_STATUS_HELP = _one_of(Payment.Status.choices)
REFUND_STATUS_HELP = _one_of(Refund.Status.choices)


class PaymentStartOutputSerializer(serializers.Serializer):
    reference = serializers.UUIDField(help_text="Our id of this payment attempt.")
    provider = serializers.CharField()
    status = serializers.CharField(help_text=PAYMENT_STATUS_HELP)
    amount = serializers.IntegerField(help_text="Kopiyky.")
    currency = serializers.CharField()
    redirect_url = serializers.CharField(help_text="Send the shopper here; empty when a form is to be posted.")
    form_action = serializers.CharField(help_text="Post form_fields here (auto-submitted form); else empty.")
    form_fields = serializers.DictField(child=serializers.CharField(), help_text="The form's fields, when posted.")

    class Meta:
        ref_name = "PaymentStart"


class PaymentOutputSerializer(serializers.Serializer):
    reference = serializers.UUIDField()
    provider = serializers.CharField()
    purpose = serializers.ChoiceField(choices=Payment.Purpose.choices)
    order = serializers.SerializerMethodField(help_text="The order's number; null for a store-credit top-up.")
    status = serializers.CharField(help_text=PAYMENT_STATUS_HELP)
    amount = serializers.IntegerField(help_text="Kopiyky asked for.")
    captured_amount = serializers.IntegerField(help_text="Kopiyky the provider confirmed.")
    refunded_amount = serializers.IntegerField(help_text="Kopiyky refunded, as confirmed by the provider.")
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Payment"

    def get_order(self, payment) -> str | None:
        return payment.order.number if payment.order_id else None


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Kopiyky.")
    status = serializers.CharField(help_text=REFUND_STATUS_HELP)
    reason = serializers.CharField()

    class Meta:
        ref_name = "Refund"


# --- views -----------------------------------------------------------------------------------


class OrderPaymentStartApi(APIView):
    """Start paying one of the customer's own online orders with a provider."""

    class InputSerializer(serializers.Serializer):
        provider = serializers.CharField(max_length=20, help_text="A provider switched on here, e.g. `sandbox`.")

        class Meta:
            ref_name = "PaymentStartRequest"

    parser_classes = [JSONParser]
    OutputSerializer = PaymentStartOutputSerializer

    @extend_schema(
        operation_id="orders_payments_create",
        tags=["payments"],
        summary="Start paying one of your orders",
        description=(
            "Open a payment attempt for a placed online order and get where to send the shopper: "
            "`redirect_url`, or a form (`form_action` and `form_fields`) to post. A new attempt supersedes an "
            "open one. The order is confirmed when the provider reports the payment captured, never by "
            "the shopper's return."
        ),
        parameters=[IDEMPOTENCY_KEY_PARAMETER, replayed_response_header(201, 400, 404, 409)],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(PaymentStartOutputSerializer, description="The attempt is open at the provider."),
            400: error_response("unknown_provider: no such provider is switched on here; or an invalid body."),
            401: error_response("No or a wrong token."),
            404: error_response("You have no order with this number."),
            409: error_response(
                "payment_not_possible: the order is not paid online, not waiting for payment, or already paid; "
                "or idempotency_key_in_use."
            ),
            422: error_response("idempotency_key_reused: this key was used with another request."),
            503: error_response("provider_unavailable: the provider is not answering; nothing was charged."),
        },
    )
    @idempotent
    def post(self, request, number: str):
        order = get_order_for_customer(customer=request.user, number=number)
        serializer = OrderPaymentStartApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        provider = serializer.validated_data["provider"]
        if provider not in enabled_codes():
            codes = ", ".join(enabled_codes())
            message = (
                _("Pay with one of: %(providers)s.") % {"providers": codes}
                if codes
                else _("Online payment is off: no payment provider is enabled.")
            )
            raise ValidationError(message, code="unknown_provider", extra={"errors": {"provider": [message]}})
        payment = start_order_payment(
            order_id=order.pk, provider_code=provider, return_url_for=return_url_for, callback_url_for=callback_url_for
        )
        return Response(OrderPaymentStartApi.OutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetailApi(APIView):
    """One payment: the payer's own, or any for staff who may see payments."""

    OutputSerializer = PaymentOutputSerializer

    @extend_schema(
        operation_id="payments_retrieve",
        tags=["payments"],
        summary="Read a payment",
        responses={
            200: PaymentOutputSerializer,
            401: error_response("No or a wrong token."),
            404: error_response("payment_not_found: no payment of yours has this reference."),
        },
    )
    def get(self, request, reference: str):
        payment = get_payment_for_user(user=request.user, reference=reference)
        return Response(PaymentDetailApi.OutputSerializer(payment).data)


class PaymentRefundApi(APIView):
    """Refund part or all of a captured payment (finance staff)."""

    class InputSerializer(serializers.Serializer):
        amount = serializers.IntegerField(min_value=1, help_text="Kopiyky to give back.")
        reason = serializers.CharField(max_length=500, help_text="Why the money goes back; kept with the refund.")

        class Meta:
            ref_name = "RefundRequest"

    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, CanRefundPayments]
    OutputSerializer = RefundOutputSerializer

    @extend_schema(
        operation_id="payments_refunds_create",
        tags=["payments"],
        summary="Refund a payment",
        description=(
            "Ask the provider to give back `amount` kopiyky of a captured payment. The refund is sent after "
            "the answer; its status moves from `requested` to `succeeded` (or `failed`) as the provider answers."
        ),
        parameters=[REFUND_KEY_PARAMETER, replayed_response_header(201, 400, 404, 409)],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(RefundOutputSerializer, description="The refund is recorded and on its way."),
            400: error_response("idempotency_key_required, an invalid amount or reason, or invalid_refund."),
            401: error_response("No or a wrong token."),
            403: error_response("Only finance staff may refund payments."),
            404: error_response("payment_not_found: no payment has this reference."),
            409: error_response(
                "refund_not_possible: the payment is not captured, or less than `amount` is left to refund; "
                "or idempotency_key_in_use."
            ),
            422: error_response("idempotency_key_reused: this key was used with another request."),
        },
    )
    @idempotent
    def post(self, request, reference: str):
        key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
        if not key:
            raise ValidationError(
                _("Send an %(header)s header: a refund is never made without one.") % {"header": IDEMPOTENCY_HEADER},
                code="idempotency_key_required",
            )
        payment = get_refundable_payment(reference=reference)
        serializer = PaymentRefundApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = request_refund(
            payment_id=payment.pk,
            amount=serializer.validated_data["amount"],
            reason=serializer.validated_data["reason"],
            by=request.user,
            idempotency_key=refund_key(user_id=request.user.pk, key=key),
            kind=Refund.Kind.API,
        )
        refund.refresh_from_db()  # the provider may already have answered (it is sent on commit)
        return Response(PaymentRefundApi.OutputSerializer(refund).data, status=status.HTTP_201_CREATED)


def refund_key(*, user_id: int, key: str) -> str:
    """The refund's idempotency key: the caller's key, scoped to the caller like API keys are."""
    scoped = f"api-refund:{user_id}:{key}"
    max_length = Refund._meta.get_field("idempotency_key").max_length
    if len(scoped) <= max_length:
        return scoped
    return f"api-refund:{user_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"

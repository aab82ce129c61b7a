"""Starting a payment: an attempt for an online order, or a store-credit top-up.

The attempt is made under the order's lock (one open attempt per order); the provider is
called with no lock held. While the provider's circuit breaker is open (payments.services.
breaker) nothing is created and the provider is not called: ProviderUnavailable at once.
"""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.money import format_money
from orders.models import Order
from orders.services import lock_order
from payments.exceptions import InvalidTopUp, PaymentNotPossible, ProviderUnavailable
from payments.models import Payment
from payments.providers import get_provider
from payments.providers.base import CheckoutRequest, ProviderError
from payments.return_links import callback_url_for, return_url_for
from payments.services.breaker import may_call, provider_breaker, report
from payments.services.locks import lock_payment

S = Payment.Status


def _admit(provider) -> None:
    """Refuse at once, calling nobody, while the provider's breaker holds calls back."""
    if not may_call(provider_breaker(provider.config.code), what=f"starting a payment with {provider.config.code}"):
        raise ProviderUnavailable(
            _("%(provider)s is not answering at the moment; nothing was charged. Please try again in a few minutes.")
            % {"provider": provider.label or provider.code}
        )


def _attempt_for_order(*, order_id: int, provider) -> Payment:
    with transaction.atomic():
        order = lock_order(order_id)
        if order.payment_method != Order.PaymentMethod.ONLINE:
            raise PaymentNotPossible(_("Order %(number)s is not paid online.") % {"number": order.number})
        if order.status != Order.Status.PLACED:
            raise PaymentNotPossible(
                _("Order %(number)s is %(status)s; it cannot be paid now.")
                % {"number": order.number, "status": str(order.get_status_display()).lower()}
            )
        if Payment.objects.filter(order=order, status__in=Payment.PAID, is_overpayment=False).exists():
            raise PaymentNotPossible(_("Order %(number)s is already paid.") % {"number": order.number})
        if order.expires_at and order.expires_at <= timezone.now():
            raise PaymentNotPossible(
                _("Order %(number)s was not paid in time; place it again.") % {"number": order.number}
            )
        _admit(provider)  # after the checks (a refused order takes no probe), before any change
        # At most one open attempt: a new one supersedes the old (a late success of the old
        # one is still taken, and refunded as an overpayment if both succeed).
        for old in Payment.objects.select_for_update().filter(order=order, status__in=Payment.OPEN):
            old.expire()
            old.failure_reason = "Superseded by a new payment attempt"
            old.save(update_fields=["status", "failure_reason", "updated_at"])
        return Payment.objects.create(
            order=order,
            provider=provider.config.code,
            amount=order.amount_due,
            currency=order.currency,
            purpose=Payment.Purpose.ORDER,
        )


def start_order_payment(
    *, order_id: int, provider_code: str, return_url_for=return_url_for, callback_url_for=callback_url_for
) -> Payment:
    """Open a payment attempt for an online order and get the provider's page for it.

    `return_url_for(payment)` and `callback_url_for(payment)` build the absolute URLs the
    shopper's browser (with its secret) and the provider's callback go to; payments' own by
    default. The provider is called with
    no lock held; if it cannot be reached the attempt is marked failed and ProviderUnavailable
    (503) says to try again.
    """
    provider = get_provider(provider_code)
    payment = _attempt_for_order(order_id=order_id, provider=provider)
    order = payment.order
    # the provider's page shows the description to the buyer, in the order's language
    with translation.override(order.language or translation.get_language()):
        description = _("Order %(number)s") % {"number": order.number}
    request = CheckoutRequest(
        payment_ref=str(payment.reference),
        amount=payment.amount,
        currency=payment.currency,
        description=description,
        return_url=return_url_for(payment),
        callback_url=callback_url_for(payment),
        customer_email=order.email,
        lifetime_seconds=max(60, int((order.expires_at - timezone.now()).total_seconds()))
        if order.expires_at
        else 3600,
        items=tuple((line.name, line.quantity, line.unit_price) for line in order.lines.all()),
    )
    return _open_checkout(payment=payment, provider=provider, request=request)


def start_top_up(*, user, amount: int, provider_code: str, return_url_for, callback_url_for) -> Payment:
    """Open a payment that tops up the user's store credit by `amount` kopiyky."""
    if not isinstance(amount, int) or not 100 <= amount <= 10_000_000:
        raise InvalidTopUp(
            _("Top up between %(min)s and %(max)s.") % {"min": format_money(100), "max": format_money(10_000_000)},
            code="invalid_amount",
        )
    provider = get_provider(provider_code)
    _admit(provider)
    payment = Payment.objects.create(
        customer=user, provider=provider_code, amount=amount, purpose=Payment.Purpose.TOP_UP
    )
    request = CheckoutRequest(
        payment_ref=str(payment.reference),
        amount=amount,
        currency=payment.currency,
        description=_("Store credit top-up"),
        return_url=return_url_for(payment),
        callback_url=callback_url_for(payment),
        customer_email=user.email,
    )
    return _open_checkout(payment=payment, provider=provider, request=request)


def _open_checkout(*, payment: Payment, provider, request: CheckoutRequest) -> Payment:
    breaker = provider_breaker(provider.config.code)
    try:
        session = provider.create_checkout(request)
    except ProviderError as exc:
        report(breaker, error=exc)
        with transaction.atomic():
            payment = lock_payment(payment.pk)
            if payment.status == S.CREATED:
                payment.fail()
                payment.failure_reason = f"Could not open the payment page: {exc}"[:500]
                payment.save(update_fields=["status", "failure_reason", "updated_at"])
        raise ProviderUnavailable(
            _("%(provider)s is not answering right now; nothing was charged. Try again shortly.")
            % {"provider": provider.label or provider.code}
        ) from exc
    report(breaker, error=None)
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        payment.redirect_url = session.redirect_url
        payment.form_action = session.form_action
        payment.form_fields = dict(session.form_fields)
        payment.provider_payment_id = session.provider_payment_id or payment.provider_payment_id
        fields = ["redirect_url", "form_action", "form_fields", "provider_payment_id", "updated_at"]
        if payment.status == S.CREATED:  # a callback may already have moved it on
            payment.start()
            fields.append("status")
        payment.save(update_fields=fields)
    return payment

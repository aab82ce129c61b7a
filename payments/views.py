"""Payment pages and the webhook endpoint. Views call services and hold no rules."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.money import parse_hryvnias
from core.ratelimit import rate_limited
from orders.cart import recent_order_tokens
from orders.selectors import get_order_by_public_token
from payments.exceptions import PaymentNotFound
from payments.providers import enabled_codes, get_provider
from payments.return_links import callback_url_for, is_valid_return_token, return_url_for
from payments.selectors import get_payment
from payments.services import handle_callback, start_order_payment, start_top_up
from payments.tasks import deliver_sandbox_callback_task

PASSED_HEADERS = ("content-type", "user-agent", "x-sandbox-signature", "x-forwarded-for")


@rate_limited("webhook")
@csrf_exempt
@require_POST
def callback(request, provider):
    """Server-to-server callback from a provider: verify, record, apply, acknowledge."""
    if provider not in enabled_codes():
        raise Http404("No such payment provider here.")
    headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_HEADERS}
    status, body, content_type = handle_callback(
        provider_code=provider,
        raw_body=request.body,
        content_type=request.content_type or "",
        headers=headers,
        remote_ip=request.META.get("REMOTE_ADDR"),
    )
    return HttpResponse(body, status=status, content_type=content_type)


def pay_redirect(request, payment):
    """Send the shopper to the provider: a redirect, or a self-submitting form (LiqPay)."""
    if payment.redirect_url:
        return HttpResponseRedirect(payment.redirect_url)
    return render(request, "payments/redirect.html", {"payment": payment})


@rate_limited("payment_start")
@require_POST
def pay_order(request, token):
    """Start (or restart) paying an online order from its page; the secret link authorises it."""
    try:
        order = get_order_by_public_token(token=token)
    except DomainError:
        raise Http404(_("No such order.")) from None
    provider = request.POST.get("provider", "")
    if provider not in enabled_codes():
        messages.error(request, _("Choose one of the payment methods offered."))
        return redirect(order.get_absolute_url())
    try:
        payment = start_order_payment(
            order_id=order.pk, provider_code=provider, return_url_for=return_url_for, callback_url_for=callback_url_for
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(order.get_absolute_url())
    return pay_redirect(request, payment)


@csrf_exempt  # Fondy and WayForPay send the browser back with a POST; this view changes nothing
@never_cache
def payment_return(request, reference, token=""):
    """Where the shopper's browser comes back. It never marks anything paid by itself.

    The order page shows the customer's details, so only a return URL with its secret (or
    the browser or signed-in customer the order belongs to) is sent there; anyone else gets
    a neutral page that names nothing.
    """
    try:
        payment = get_payment(reference=reference)
    except PaymentNotFound:
        payment = None
    if payment is not None and not payment.order_id:
        return redirect("accounts:store_credit")  # a top-up: that page is the signed-in owner's
    if payment is not None and (
        is_valid_return_token(reference=payment.reference, token=token) or owns_order(request, payment.order)
    ):
        return redirect(payment.order.get_absolute_url())
    return render(request, "payments/return_checking.html")


def owns_order(request, order) -> bool:
    """This browser placed the order, or its signed-in customer is the order's."""
    if request.user.is_authenticated and order.customer_id == request.user.pk:
        return True
    return order.public_token in recent_order_tokens(request.session)


@rate_limited("top_up")
@login_required
@require_http_methods(["GET", "POST"])
def top_up(request):
    providers = [(code, get_provider(code).label) for code in enabled_codes()]
    error = ""
    if request.method == "POST":
        provider = request.POST.get("provider", "")
        try:
            amount = parse_hryvnias(request.POST.get("amount", ""))
            if provider not in enabled_codes():
                raise DomainError(_("Choose one of the payment methods offered."))
            payment = start_top_up(
                user=request.user,
                amount=amount,
                provider_code=provider,
                return_url_for=return_url_for,
                callback_url_for=callback_url_for,
            )
        except DomainError as exc:
            error = exc.message
        except forms.ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return pay_redirect(request, payment)
    return render(
        request, "payments/top_up.html", {"providers": providers, "error": error}, status=400 if error else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_gateway(request, token):
    """The Sandbox provider's own payment page (it plays the gateway in local runs)."""
    if "sandbox" not in enabled_codes():
        raise Http404
    provider = get_provider("sandbox")
    try:
        data = provider.read_token(token)
    except signing.BadSignature:
        raise Http404(_("This payment link is not valid.")) from None
    if request.method == "POST":
        outcome = {"pay": "paid", "decline": "declined", "expire": "expired"}.get(request.POST.get("action"))
        if outcome is None:
            return HttpResponse(_("Unknown action"), status=400, content_type="text/plain; charset=utf-8")
        state = provider.set_outcome(ref=data["ref"], amount=data["amount"], currency=data["currency"], status=outcome)
        body, signature = provider.callback_body(state)
        deliver_sandbox_callback_task.delay(callback_url=data["callback"], body=body, signature=signature)
        return HttpResponseRedirect(data["return"] or "/")
    context = {"data": data, "title": _gateway_title(data), "state": provider.state(data["ref"])}
    return render(request, "payments/sandbox_gateway.html", context)


def _gateway_title(data: dict) -> str:
    """What is being paid, in the page's language (the signed description is the provider's copy)."""
    try:
        payment = get_payment(reference=data["ref"])
    except PaymentNotFound:
        return data.get("description", "")
    if payment.order_id:
        return _("Order %(number)s") % {"number": payment.order.number}
    return _("Store credit top-up")

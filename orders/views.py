"""Shopper pages: cart, checkout and the order's secret-link page.

Views read through selectors and write through orders.services; the cart is in database
rows (the cart app, through orders.cart); the rules (stock, prices, idempotency) belong to
the services.
"""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cart.exceptions import CartProductOutOfStock, CartProductUnavailable
from core.exceptions import Conflict, DomainError, Unprocessable
from core.ratelimit import client_ip, rate_limited
from directory.exceptions import InvalidDelivery
from ledger.selectors import wallet_of
from orders import selectors
from orders.cart import Cart, CartContents, recent_order_tokens, remember_order
from orders.exceptions import CheckoutTokenConflict, OrderNotFound
from orders.forms import AddToCartForm, CartUpdateForm, CheckoutForm
from orders.models import Order, Source
from orders.services import MAX_QUANTITY, delivery_from_directory, place_order
from orders.services.history import NOTES as HISTORY_NOTES
from payments.selectors import can_pay_online, order_payment_status, payment_choices, payments_for_order
from payments.services import start_order_payment
from shipping.models import Shipment
from shipping.selectors import shipment_for_order

# What a parcel's state means to the shopper; a parcel that needs staff's attention is, to
# them, still being prepared.
PARCEL_STATUS = {
    Shipment.Status.PENDING: gettext_lazy("We are preparing your parcel."),
    Shipment.Status.CREATING: gettext_lazy("We are preparing your parcel."),
    Shipment.Status.NEEDS_ATTENTION: gettext_lazy("We are preparing your parcel."),
    Shipment.Status.LABEL_CREATED: gettext_lazy("Packed: the parcel is waiting to be handed to Nova Poshta."),
    Shipment.Status.IN_TRANSIT: gettext_lazy("On its way with Nova Poshta."),
    Shipment.Status.ARRIVED: gettext_lazy("Waiting for you at your Nova Poshta branch."),
    Shipment.Status.DELIVERED: gettext_lazy("Received. Thank you!"),
    Shipment.Status.RETURNING: gettext_lazy("Not collected: the parcel is on its way back to us."),
    Shipment.Status.RETURNED: gettext_lazy("The parcel came back to us."),
}


def _redirect_see_other(to, *args, **kwargs):
    """A 303 after a POST: the browser follows it with a GET, never re-posting."""
    response = redirect(to, *args, **kwargs)
    response.status_code = 303
    return response


def _announce_dropped(request, contents: CartContents) -> None:
    if contents.dropped:
        message = ngettext(
            "%(count)d product in your cart is no longer sold and was removed.",
            "%(count)d products in your cart are no longer sold and were removed.",
            contents.dropped,
        )
        messages.warning(request, message % {"count": contents.dropped})


# --- cart -----------------------------------------------------------------------------------


def _render_cart(request, *, contents: CartContents, form=None, status: int = 200):
    form = form or CartUpdateForm(lines=contents.lines)
    rows = [(line, form[CartUpdateForm.field_name(line.product.pk)]) for line in contents.lines]
    recent_orders = selectors.list_orders_by_public_tokens(tokens=recent_order_tokens(request.session))
    context = {"contents": contents, "rows": rows, "form": form, "recent_orders": recent_orders}
    return render(request, "orders/cart.html", context, status=status)


@never_cache
def cart_view(request):
    cart = Cart(request)
    contents = cart.contents()
    _announce_dropped(request, contents)
    return _render_cart(request, contents=contents)


@rate_limited("cart_add")
@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        product = form.cleaned_data.get("product_id")
        if product is None:
            messages.error(request, form.errors.get("product_id", [_("This product is no longer sold.")])[0])
            return _redirect_see_other("catalog:product_list")
        context = {"product": product, "form": form}
        return render(request, "catalog/product_detail.html", context, status=400)

    product, quantity = form.cleaned_data["product_id"], form.cleaned_data["quantity"]
    try:
        change = Cart(request).add(product.pk, quantity)
    except CartProductOutOfStock:
        messages.error(request, _("Sorry, %(product)s is out of stock.") % {"product": product.name})
        return _redirect_see_other(product)
    except CartProductUnavailable:  # stopped being sold since the form was checked
        messages.error(request, _("This product is no longer sold."))
        return _redirect_see_other("catalog:product_list")
    if change.added > 0:
        messages.success(
            request,
            _("Added %(quantity)s × %(product)s to your cart.") % {"quantity": change.added, "product": product.name},
        )
    if change.capped:
        messages.warning(request, _("You can buy at most %(limit)s of one product.") % {"limit": MAX_QUANTITY})
    available = max(change.product.available or 0, 0)
    if change.after > available:
        messages.warning(
            request,
            _("Only %(available)s of %(product)s left in stock.") % {"available": available, "product": product.name},
        )
    return _redirect_see_other("orders:cart")


@require_POST
def cart_update(request):
    cart = Cart(request)
    contents = cart.contents()
    _announce_dropped(request, contents)

    if "remove" in request.POST:
        try:
            product_id = int(request.POST["remove"])
        except ValueError:
            product_id = None
        line = next((line for line in contents.lines if line.product.pk == product_id), None)
        if line is not None:
            cart.remove(product_id)
            messages.success(request, _("Removed %(product)s from your cart.") % {"product": line.product.name})
        return _redirect_see_other("orders:cart")

    form = CartUpdateForm(request.POST, lines=contents.lines)
    if not form.is_valid():
        return _render_cart(request, contents=contents, form=form, status=400)
    cart.set_quantities(form.quantities())
    messages.success(request, _("Your cart is updated."))
    return _redirect_see_other("orders:cart")


# --- checkout -------------------------------------------------------------------------------


def _initial_contact(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"full_name": user.full_name, "email": user.email, "phone": user.phone}


def _store_credit_for(request, contents: CartContents) -> int:
    """How much of this cart the shopper's store credit can pay (0 for guests and empty wallets)."""
    if not request.user.is_authenticated:
        return 0
    wallet = wallet_of(user_id=request.user.pk)
    return min(wallet.available, contents.total) if wallet else 0


def _render_checkout(request, *, contents: CartContents, form: CheckoutForm, status: int = 200):
    return render(request, "orders/checkout.html", {"contents": contents, "form": form}, status=status)


def _with_fresh_token(request, cart: Cart) -> CheckoutForm:
    data = request.POST.copy()
    data["checkout_token"] = cart.checkout_token()
    return CheckoutForm(data, store_credit=_store_credit_for(request, cart.contents()), online=payment_choices())


@rate_limited("checkout")
@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = Cart(request)
    if request.method == "POST":
        return _checkout_submit(request, cart)

    contents = cart.contents()
    _announce_dropped(request, contents)
    if not contents.lines:
        messages.info(request, _("Your cart is empty: add something before checking out."))
        return redirect("orders:cart")
    form = CheckoutForm(
        initial={**_initial_contact(request.user), "checkout_token": cart.checkout_token()},
        store_credit=_store_credit_for(request, contents),
        online=payment_choices(),
    )
    return _render_checkout(request, contents=contents, form=form)


def _checkout_submit(request, cart: Cart):
    posted_token = request.POST.get("checkout_token", "")
    customer = request.user if request.user.is_authenticated else None

    if not cart.is_current_checkout_token(posted_token):
        # Either this form already placed its order (a double submit: show that order) or
        # the cart changed since the form was shown (ask the shopper to look again).
        if posted_token:
            try:
                order = selectors.get_order_for_checkout_token(checkout_token=posted_token, customer=customer)
            except OrderNotFound:
                pass
            else:
                return _redirect_see_other(order)
        return _stale_checkout(request, cart, _("Your cart changed since this page was opened."))

    contents = cart.contents()
    if contents.dropped:
        _announce_dropped(request, contents)
        return _stale_checkout(request, cart, _("Your cart changed since this page was opened."))
    if not contents.lines:
        messages.info(request, _("Your cart is empty: add something before checking out."))
        return _redirect_see_other("orders:cart")

    form = CheckoutForm(request.POST, store_credit=_store_credit_for(request, contents), online=payment_choices())
    if not form.is_valid():
        _add_delivery_errors(form)  # every error shows at once, the branch's too
        return _render_checkout(request, contents=contents, form=form, status=400)

    data = form.cleaned_data
    try:
        order, _created = place_order(
            customer=customer,
            full_name=data["full_name"],
            phone=data["phone"],
            email=data["email"],
            delivery_city=data["delivery_city"],
            delivery_branch=data["delivery_branch"],
            delivery_city_ref=data.get("delivery_city_ref", ""),
            delivery_warehouse_ref=data.get("delivery_warehouse_ref", ""),
            delivery_refs_required=True,
            comment=data["comment"],
            payment_method=data["payment_method"],
            items=contents.items,
            checkout_token=data["checkout_token"],
            source=Source.WEB,
            store_credit=form.store_credit_to_use(),
            ip=client_ip(request),
        )
    except CheckoutTokenConflict:
        # The token belongs to somebody else's order (a login happened mid-checkout): start afresh.
        cart.forget_checkout_token()
        return _stale_checkout(request, cart, _("Your session changed since this page was opened."))
    except DomainError as exc:
        form.add_domain_errors(exc.extra.get("errors") or {None: exc.message})
        status = 409 if isinstance(exc, Conflict) else 422 if isinstance(exc, Unprocessable) else 400
        return _render_checkout(request, contents=contents, form=form, status=status)

    cart.clear_after_checkout(checkout_token=data["checkout_token"], ordered=contents.items)
    remember_order(request.session, public_token=order.public_token)
    messages.success(request, _("Thank you! Your order %(number)s is placed.") % {"number": order.number})
    if order.payment_method == Order.PaymentMethod.ONLINE and form.provider and _created:
        return _go_pay(request, order, form.provider)
    return _redirect_see_other(order)


def _go_pay(request, order, provider: str):
    """Straight from checkout to the provider's page; if it is down, the order page offers a retry.

    The payment is started through payments' service, which builds the return URL (with its
    secret) and the callback URL itself; no view of payments is imported.
    """
    try:
        payment = start_order_payment(order_id=order.pk, provider_code=provider)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _redirect_see_other(order)
    if payment.redirect_url:
        return HttpResponseRedirect(payment.redirect_url)
    return render(request, "payments/redirect.html", {"payment": payment})  # a self-submitting form (LiqPay)


def _add_delivery_errors(form: CheckoutForm) -> None:
    """Show what checkout would say of the picked city and branch (the service's own check)."""
    data = {**form.data.dict(), **getattr(form, "cleaned_data", {})}
    try:
        delivery_from_directory(
            city=data.get("delivery_city", ""),
            branch=data.get("delivery_branch", ""),
            city_ref=data.get("delivery_city_ref", ""),
            warehouse_ref=data.get("delivery_warehouse_ref", ""),
            refs_required=True,
        )
    except InvalidDelivery as exc:
        form.add_domain_errors(exc.extra.get("errors") or {None: exc.message}, unless_already_wrong=True)


def _stale_checkout(request, cart: Cart, message: str):
    contents = cart.contents()
    if not contents.lines:
        messages.info(request, _("Your cart is empty: add something before checking out."))
        return _redirect_see_other("orders:cart")
    form = _with_fresh_token(request, cart)
    form.is_valid()
    form.add_error(None, _("%(reason)s Check your order below and place it again.") % {"reason": message})
    return _render_checkout(request, contents=contents, form=form, status=409)


# --- the order's secret-link page -----------------------------------------------------------


@never_cache
def order_detail(request, token: str):
    try:
        order = selectors.get_order_by_public_token(token=token)
    except OrderNotFound:
        raise Http404(_("No such order."))
    payments = list(payments_for_order(order=order))
    shipment = shipment_for_order(order=order)
    context = {
        "parcel_status": PARCEL_STATUS.get(shipment.status, "") if shipment else "",
        "estimated_delivery": shipment.estimated_delivery if shipment and shipment.status in Shipment.MOVING else None,
        "order": order,
        "lines": list(order.lines.all()),
        # The shopper sees status changes only, not staff's anti-abuse decisions.
        "history": [e for e in selectors.order_history(order=order) if e.transition not in HISTORY_NOTES],
        "payment_status": order_payment_status(order=order, payments=payments),
        "can_pay": can_pay_online(order=order),
        "providers": payment_choices(),
    }
    response = render(request, "orders/order_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response

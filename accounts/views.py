"""Shopper account pages: sign up, one's own orders and store credit (login is Django's)."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.exceptions import EmailTaken
from accounts.forms import SignupForm
from accounts.services import register_customer
from cart.requests import merge_cart_on_login
from core.money import DEFAULT_CURRENCY, format_money
from core.ratelimit import rate_limited
from ledger.selectors import wallet_history, wallet_of
from orders.selectors import list_orders_for_customer
from payments.selectors import order_payment_statuses

ORDERS_PER_PAGE = 20
STORE_CREDIT_LINES = 50
# Several backends are configured (django-axes first); a fresh sign-up is logged in by this one.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@rate_limited("signup")
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = register_customer(
                email=data["email"], password=data["password1"], full_name=data["full_name"], phone=data["phone"]
            )
        except EmailTaken as exc:  # the same e-mail signed up a moment ago
            form.add_error("email", exc.message)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            merge_cart_on_login(request)  # the guest's cart becomes the new customer's
            response = redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
            response.status_code = 303
            return response
    status = 400 if form.is_bound else 200
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request) or ""}, status=status)


@never_cache
@login_required
def order_list(request):
    page = Paginator(list_orders_for_customer(customer=request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    orders = list(page.object_list)
    statuses = order_payment_statuses(orders=orders)  # one query for the page's payments, if any
    rows = [(order, statuses[order.pk]) for order in orders]
    return render(request, "accounts/order_list.html", {"page": page, "orders": orders, "rows": rows})


# What a movement is called in the shopper's language. Staff's credits and debits carry the
# reason staff wrote for the shopper (the memo); the other kinds' memos are the ledger's own
# English bookkeeping notes, so the shopper sees the kind's name instead.
MEMO_FOR_SHOPPER = ("wallet_credit", "wallet_debit")
MOVEMENT_NAMES = {
    "wallet_credit": _("Store credit given"),
    "wallet_debit": _("Store credit taken back"),
    "wallet_top_up": _("Top-up"),
    "hold_post": _("Paid towards an order"),
    "store_credit_refund": _("Store credit returned"),
    "reversal": _("Correction"),
}


def _signed_money(amount: int, currency: str) -> str:
    """+150.50 ₴ for money in, −50.00 ₴ (a real minus sign) for money out."""
    return f"+{format_money(amount, currency)}" if amount > 0 else f"\u2212{format_money(-amount, currency)}"


@never_cache
@login_required
def store_credit(request):
    # Only ever the logged-in customer's wallet: the URL carries no id to guess.
    wallet = wallet_of(user_id=request.user.pk)
    lines = wallet_history(account=wallet, limit=STORE_CREDIT_LINES) if wallet is not None else []
    currency = wallet.currency if wallet is not None else DEFAULT_CURRENCY
    history = [
        {
            "at": line.at,
            "what": (line.memo if line.kind in MEMO_FOR_SHOPPER else "")
            or MOVEMENT_NAMES.get(line.kind, _("Store credit")),
            "amount": _signed_money(line.amount, currency),
            "incoming": line.amount > 0,
            "balance": line.balance,
        }
        for line in lines
    ]
    context = {
        "wallet": wallet,
        "balance": wallet.balance if wallet is not None else 0,
        "held": wallet.held if wallet is not None else 0,
        "available": wallet.available if wallet is not None else 0,
        "currency": currency,
        "history": history,
        "limited": len(lines) == STORE_CREDIT_LINES,
        "limit": STORE_CREDIT_LINES,
    }
    return render(request, "accounts/store_credit.html", context)

"""Shopper account pages: sign up and the list of one's own orders (login is Django's)."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.exceptions import EmailTaken
from accounts.forms import SignupForm
from accounts.services import register_customer
from orders.selectors import list_orders_for_customer

ORDERS_PER_PAGE = 20
# Several backends are configured (django-axes first); a fresh sign-up is logged in by this one.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


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
            response = redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
            response.status_code = 303
            return response
    status = 400 if form.is_bound else 200
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request) or ""}, status=status)


@never_cache
@login_required
def order_list(request):
    page = Paginator(list_orders_for_customer(customer=request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/order_list.html", {"page": page, "orders": page.object_list})

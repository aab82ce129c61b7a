"""Rate limits of the shop's pages and webhooks: one decorator, limits staff change at runtime.

    @rate_limited("checkout")
    def checkout(request): ...

Each name maps to a django-constance setting ("10/m", "600/m", "20/h": django-ratelimit's
format) read on every request, so staff change a limit in the admin without a restart.
Counting is per client IP (client_ip: REMOTE_ADDR, or the address the trusted proxy put in
X-Forwarded-For) in the Redis cache, by django-ratelimit (an atomic counter per window).

A refused request gets 429 with Retry-After: a page for people, JSON {"detail", "code"} for
the API, webhooks and the picker's JSON. When Redis cannot be reached the limit FAILS OPEN:
the request goes through and a warning is logged (a cache outage must not close the shop).
"""

import functools
import logging

from constance import config
from constance.signals import config_updated
from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import ngettext
from django_ratelimit.core import _split_rate, get_usage

logger = logging.getLogger(__name__)

# name -> the runtime setting holding its limit (CONSTANCE_CONFIG, "Rate limits" fieldset)
LIMITS = {
    "login": "RATE_LIMIT_LOGIN",
    "signup": "RATE_LIMIT_SIGNUP",
    "cart_add": "RATE_LIMIT_CART_ADD",
    "checkout": "RATE_LIMIT_CHECKOUT",
    "payment_start": "RATE_LIMIT_PAYMENT_START",
    "top_up": "RATE_LIMIT_TOP_UP",
    "np_picker": "RATE_LIMIT_NP_PICKER",
    "webhook": "RATE_LIMIT_WEBHOOK",
}
# Machines and scripts read these: they get JSON, never a page.
JSON_LIMITS = {"webhook", "np_picker"}
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
    address the outermost of them saw (counted from the right of X-Forwarded-For, so a
    client cannot choose its own address by sending the header)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def axes_client_ip(request) -> str | None:
    """settings.AXES_CLIENT_IP_CALLABLE: login lockouts count the same address."""
    return client_ip(request)


# The limits are kept in the cache (shared by every process) for a minute, so a request costs
# no database query; a change in the admin deletes them at once (constance's signal).
LIMIT_CACHE_KEY = "ratelimit:limit:{setting}"
LIMIT_CACHE_SECONDS = 60


@receiver(config_updated)
def _forget_cached_limit(sender, key, **kwargs):
    if key in LIMITS.values():
        try:
            cache.delete(LIMIT_CACHE_KEY.format(setting=key))
        except Exception as exc:
            logger.warning("Could not forget the cached rate limit %s: %s", key, exc)


def _configured_limit(setting: str) -> str:
    """The runtime setting's value, through the cache (raises when the cache is unreachable)."""
    cache_key = LIMIT_CACHE_KEY.format(setting=setting)
    rate = cache.get(cache_key)
    if rate is None:
        rate = str(getattr(config, setting) or "").strip()
        cache.set(cache_key, rate, LIMIT_CACHE_SECONDS)
    return rate


def limit_of(name: str) -> str | None:
    """The current limit of `name` ("10/m"), or None when it is off (empty or "0")."""
    rate = _configured_limit(LIMITS[name])
    if rate in ("", "0", "off"):
        return None
    try:
        _split_rate(rate)
    except (ValueError, TypeError):
        logger.error("Rate limit %s has an unreadable value %r (%s); not limiting", name, rate, LIMITS[name])
        return None
    return rate


def seconds_refused(request, name: str) -> int | None:
    """Count this request against `name`; the seconds to wait if it is over the limit, else None."""
    try:
        rate = limit_of(name)
        if rate is None:
            return None
        usage = get_usage(
            request,
            group=f"kramar:{name}",
            key=lambda group, req: client_ip(req) or "unknown",
            rate=rate,
            increment=True,
        )
    except Exception as exc:  # Redis (or the settings table) unreachable: fail open
        logger.warning("Rate limit %s not checked, request let through: %s", name, exc)
        return None
    if usage is None:
        return None
    if usage["count"] == 0 and usage["limit"] == 0:  # django-ratelimit's "cache failed" answer
        logger.warning("Rate limit %s not checked (the cache gave no count), request let through", name)
        return None
    if not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def wait_message(seconds: int) -> str:
    """What a refused client reads (pages, webhooks, the API's throttles), in the active language."""
    return ngettext(
        "Too many requests. Wait %(seconds)d second and try again.",
        "Too many requests. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def too_many_requests(request, *, retry_after: int, as_json: bool):
    message = wait_message(retry_after)
    if as_json:
        response = JsonResponse({"detail": message, "code": "rate_limited"}, status=429)
    else:
        response = render(request, "429.html", {"message": message, "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def rate_limited(name: str, *, methods: tuple[str, ...] = MUTATING):
    """Limit a view (function, or a method taking the request second) by the setting of `name`.

    Only requests with one of `methods` are counted (by default the ones that change
    something; the picker passes ("GET",)).
    """
    if name not in LIMITS:
        raise ValueError(f"No rate limit named {name!r}; add it to core.ratelimit.LIMITS.")

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            request = args[0] if isinstance(args[0], HttpRequest) else args[1]
            request = getattr(request, "_request", request)  # a DRF Request wraps Django's
            if request.method in methods:
                wait = seconds_refused(request, name)
                if wait is not None:
                    as_json = name in JSON_LIMITS or request.path.startswith("/api/")
                    return too_many_requests(request, retry_after=wait, as_json=as_json)
            return view(*args, **kwargs)

        return wrapped

    return decorator

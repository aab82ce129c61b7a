from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' lockout answer: JSON for API clients, a page for people (HTTP 429).

    AxesMiddleware returns this after the view and the template-response phase, so the page
    is rendered here (a TemplateResponse would reach the other middleware unrendered: 500).
    """
    minutes = _cooloff_seconds() // 60
    message = _("Too many failed logins. Wait %(minutes)d minutes or ask the shop to unlock your account.") % {
        "minutes": minutes
    }
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = render(request, "locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(_cooloff_seconds())
    return response

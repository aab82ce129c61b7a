from django.http import JsonResponse
from django.template.response import TemplateResponse

LOCKED_OUT_MESSAGE = "Too many failed logins. Wait 30 minutes or ask the shop to unlock your account."


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' lockout answer: JSON for API clients, a page for people (HTTP 429)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED_OUT_MESSAGE, "code": "locked_out"}, status=429)
    return TemplateResponse(request, "locked_out.html", {"message": LOCKED_OUT_MESSAGE}, status=429)

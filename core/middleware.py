"""Response headers Django has no setting for, and how each kind of visitor gets its language."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from core.languages import language_or_none, supported_language


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY as the Permissions-Policy header on every response:
    the shop needs no camera, microphone, location, USB or payment handler API."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.value and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.value
        return response


class KramarLocaleMiddleware(LocaleMiddleware):
    """Pick the language the way each kind of visitor expects.

    - The shop's pages carry it in the URL: Ukrainian at ``/``, English under ``/en/``
      (``i18n_patterns`` with ``prefix_default_language=False``). A shopper who chose English
      with the switch (the ``django_language`` cookie) and lands on an unprefixed page is sent
      to its ``/en/`` twin, so the choice is remembered; search engines (no cookie) see
      Ukrainian and the ``hreflang`` alternates.
    - The API speaks the client's ``Accept-Language`` (Ukrainian when absent or unknown); the
      machine-readable ``code`` of an error never changes with it.
    - The admin speaks the staff member's choice (the cookie the header switch sets; the
      profile preference is applied by ``StaffLanguageMiddleware``), else Ukrainian: a staff
      browser's English ``Accept-Language`` does not override the shop's language.

    Django's own middleware forces ``LANGUAGE_CODE`` on every unprefixed path once
    ``i18n_patterns`` is used with an unprefixed default, which would make the API and the
    admin deaf to their visitors; this keeps Django's handling for the shop's pages only.
    """

    def process_request(self, request):
        path = request.path_info
        if not path.startswith(NEGOTIATED_PREFIXES):
            super().process_request(request)
            return
        if path.startswith(API_PREFIXES):
            language = _api_language(request)
        else:
            language = supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        path = request.path_info
        if path.startswith(NEGOTIATED_PREFIXES):
            if path.startswith(API_PREFIXES):
                patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        redirect = self._remembered_language_redirect(request, response)
        if redirect is not None:
            return redirect
        return super().process_response(request, response)

    def _remembered_language_redirect(self, request, response):
        """An unprefixed (Ukrainian) page asked for by a shopper whose cookie says another
        language: send them to that language's URL of the same page."""
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return None
        if translation.get_language_from_path(request.path_info):
            return None
        chosen = language_or_none(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        if not chosen or chosen == settings.LANGUAGE_CODE:
            return None
        target = translate_url(request.get_full_path(), chosen)
        if target == request.get_full_path():
            return None
        redirect = HttpResponseRedirect(target)
        patch_vary_headers(redirect, ("Cookie",))
        return redirect


class StaffLanguageMiddleware:
    """In the admin, a staff member's saved language (``User.language``, set in their profile)
    wins over the cookie. Placed after ``AuthenticationMiddleware``: it needs ``request.user``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(ADMIN_PREFIXES):
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            preferred = language_or_none(getattr(user, "language", "")) if signed_in else None
            if preferred:
                translation.activate(preferred)
                request.LANGUAGE_CODE = preferred
        response = self.get_response(request)
        # After set_language has answered: a refused POST (no CSRF token: 403) saves nothing.
        switched = request.method == "POST" and response.status_code in (302, 204)
        if switched and request.path_info == reverse("set_language"):
            _remember_staff_choice(request)
        if request.path_info.startswith(ADMIN_PREFIXES):
            response.headers["Content-Language"] = translation.get_language()
        return response


def _remember_staff_choice(request):
    """The admin header's language switch (a POST to ``set_language`` whose ``next`` is in the
    admin) also saves the choice as the staff member's ``User.language``, so the profile and
    the cookie agree and the choice follows them to another browser. The shop's own switch
    (``next`` outside /admin/) leaves the back office's preference alone."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return
    if not request.POST.get("next", "").startswith(ADMIN_PREFIXES):
        return
    chosen = language_or_none(request.POST.get("language"))
    if chosen and user.language != chosen:
        user.language = chosen
        user.save(update_fields=["language"])


def _api_language(request):
    """Accept-Language only (no cookie, no URL): an API client says what it reads on every call."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        found = language_or_none(code)
        if found:
            return found
    return settings.LANGUAGE_CODE


API_PREFIXES = ("/api/",)
ADMIN_PREFIXES = ("/admin/",)
# Paths outside i18n_patterns whose language is negotiated here rather than taken from the URL.
NEGOTIATED_PREFIXES = API_PREFIXES + ADMIN_PREFIXES + ("/health/", "/metrics/", "/payments/callback/", "/i18n/")

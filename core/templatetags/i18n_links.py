"""The shop's language links: the header switch's `next` and the hreflang alternates.

The shop is Ukrainian at ``/`` and English under ``/en/`` (config/urls.py); every page has a
twin in the other language, found with Django's ``translate_url``.
"""

from django import template
from django.conf import settings
from django.urls import Resolver404, resolve, translate_url
from django.utils import translation

register = template.Library()


def _page_resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def default_language_path(request) -> str:
    """This page's Ukrainian (unprefixed) address, with its query string.

    The switch posts it as ``next``: Django's ``set_language`` translates an unprefixed path to
    the chosen language whatever language the switch request itself runs in, whereas a
    prefixed ``/en/...`` path would not resolve in a Ukrainian request and stay English.
    A page that resolves nowhere (a 404) loses its language prefix instead.
    """
    full_path = request.get_full_path()
    if _page_resolves(request.path_info):
        return translate_url(full_path, settings.LANGUAGE_CODE)
    prefix = translation.get_language_from_path(request.path_info)
    if prefix and request.path_info.startswith(f"/{prefix}/"):
        return full_path[len(prefix) + 1 :]
    return full_path


@register.simple_tag(takes_context=True)
def switch_next(context) -> str:
    request = context.get("request")
    return default_language_path(request) if request is not None else "/"


@register.inclusion_tag("_hreflang.html", takes_context=True)
def hreflang_links(context) -> dict:
    """``<link rel="alternate" hreflang>`` for every language, and x-default → Ukrainian.

    Only for a page that exists: an error page has no alternates.
    """
    request = context.get("request")
    if request is None or not _page_resolves(request.path_info):
        return {"alternates": []}
    full_path = request.get_full_path()
    alternates = [
        (code, request.build_absolute_uri(translate_url(full_path, code))) for code, _name in settings.LANGUAGES
    ]
    default = dict(alternates)[settings.LANGUAGE_CODE]
    return {"alternates": [*alternates, ("x-default", default)]}

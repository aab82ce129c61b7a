"""The Nova Poshta directory for the checkout's city and branch picker (JSON, read-only)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from core.ratelimit import rate_limited
from directory.selectors import search_cities, search_warehouses

MAX_QUERY = 100  # nobody types a longer city or street; a longer query is noise


class BadQuery(Exception):
    pass


def _query(request, name: str) -> str:
    value = request.GET.get(name, "")[:MAX_QUERY]
    if "\x00" in value:  # PostgreSQL refuses NUL in text; no real city or street holds one
        raise BadQuery
    return value


def _bad_query() -> JsonResponse:
    return JsonResponse(
        {"detail": _("The search contains a character that is not allowed."), "code": "bad_query"}, status=400
    )


# The directory changes once a day (the sync); a shopper's browser may keep an answer briefly.
@rate_limited("np_picker", methods=("GET",))
@require_GET
@cache_control(public=True, max_age=300)
def city_search(request):
    """Cities whose name starts with ?q= (at least two letters)."""
    try:
        cities = search_cities(query=_query(request, "q"))
    except BadQuery:
        return _bad_query()
    return JsonResponse({"results": [{"ref": c.ref, "name": c.name, "area": c.area} for c in cities]})


@rate_limited("np_picker", methods=("GET",))
@require_GET
@cache_control(public=True, max_age=300)
def warehouse_search(request):
    """Working branches and parcel lockers of ?city=<ref>, narrowed by ?q= (a number or part of the address)."""
    try:
        warehouses = search_warehouses(city_ref=_query(request, "city"), query=_query(request, "q"))
    except BadQuery:
        return _bad_query()
    return JsonResponse(
        {
            "results": [
                {"ref": w.ref, "number": w.number, "name": w.name, "kind": w.kind, "kind_label": w.get_kind_display()}
                for w in warehouses
            ]
        }
    )

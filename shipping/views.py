"""The Nova Poshta directory for the checkout's city and branch picker (JSON, read-only)."""

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from core.ratelimit import rate_limited
from shipping.selectors import search_cities, search_warehouses

MAX_QUERY = 100  # nobody types a longer city or street; a longer query is noise


def _query(request, name: str) -> str:
    return request.GET.get(name, "")[:MAX_QUERY]


# The directory changes once a day (the sync); a shopper's browser may keep an answer briefly.
@rate_limited("np_picker", methods=("GET",))
@require_GET
@cache_control(public=True, max_age=300)
def city_search(request):
    """Cities whose name starts with ?q= (at least two letters)."""
    cities = search_cities(query=_query(request, "q"))
    return JsonResponse({"results": [{"ref": c.ref, "name": c.name, "area": c.area} for c in cities]})


@rate_limited("np_picker", methods=("GET",))
@require_GET
@cache_control(public=True, max_age=300)
def warehouse_search(request):
    """Working branches and parcel lockers of ?city=<ref>, narrowed by ?q= (a number or part of the address)."""
    warehouses = search_warehouses(city_ref=_query(request, "city"), query=_query(request, "q"))
    return JsonResponse(
        {
            "results": [
                {"ref": w.ref, "number": w.number, "name": w.name, "kind": w.kind, "kind_label": w.get_kind_display()}
                for w in warehouses
            ]
        }
    )

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import HealthView
from core.metrics import metrics_view


def live(request):
    """Liveness: the process answers. Also the trivial baseline view for HTTP benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("health/live/", live, name="health_live"),
    path("metrics/", metrics_view, name="metrics"),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("shipping.urls")),
    path("", include("payments.urls")),
    path("account/", include("accounts.urls")),
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
]

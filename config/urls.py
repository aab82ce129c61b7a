from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import HealthView
from core.metrics import metrics_view
from payments import views as payment_views


def live(request):
    """Liveness: the process answers. Also the trivial baseline view for HTTP benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


# Language-neutral: machines call these, and the admin and the API negotiate their language
# themselves (core.middleware.KramarLocaleMiddleware).
urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("health/live/", live, name="health_live"),
    path("metrics/", metrics_view, name="metrics"),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # The URL each provider is told to call: it must not change with the shopper's language.
    path("payments/callback/<slug:provider>/", payment_views.callback, name="payment_callback"),
    # The language switch (POST, sets the cookie and redirects to the same page in that language).
    path("i18n/", include("django.conf.urls.i18n")),
]

# The shop: Ukrainian at /, English under /en/ (a Ukrainian shop's usual scheme).
urlpatterns += i18n_patterns(
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("", include("shipping.urls")),
    path("", include("payments.urls")),
    path("account/", include("accounts.urls")),
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
    prefix_default_language=False,
)

from django.urls import path

from payments import views

app_name = "payments"
# The shop-facing pages, under the language prefix (config/urls.py). The providers' callback
# URL is language-neutral and lives beside the API in config/urls.py as "payment_callback".
urlpatterns = [
    path("payments/return/<uuid:reference>/<str:token>/", views.payment_return, name="return"),
    # Return URLs handed out before they carried a secret: answered without personal data.
    path("payments/return/<uuid:reference>/", views.payment_return, name="return_unsigned"),
    path("payments/sandbox/<str:token>/", views.sandbox_gateway, name="sandbox_gateway"),
    path("orders/<str:token>/pay/", views.pay_order, name="pay_order"),
    path("account/store-credit/top-up/", views.top_up, name="top_up"),
]

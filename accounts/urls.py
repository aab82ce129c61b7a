from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import EmailAuthenticationForm
from core.ratelimit import rate_limited

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        rate_limited("login")(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html",
                authentication_form=EmailAuthenticationForm,
                redirect_authenticated_user=True,
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("orders/", views.order_list, name="orders"),
    path("store-credit/", views.store_credit, name="store_credit"),
]

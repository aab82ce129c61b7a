from django.urls import path

from shipping import views

app_name = "shipping"
urlpatterns = [
    path("shipping/cities/", views.city_search, name="cities"),
    path("shipping/warehouses/", views.warehouse_search, name="warehouses"),
]

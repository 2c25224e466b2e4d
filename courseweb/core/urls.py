from django.urls import path

from . import observability, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("staff/status/", views.status, name="status"),
]

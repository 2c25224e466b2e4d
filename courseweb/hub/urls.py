"""Hub URLs: open a homework in JupyterHub and that request's progress; the hub's service calls; staff usage."""

from django.urls import path

from . import views

app_name = "hub"
urlpatterns = [
    path("open/<slug:key>/", views.open_assignment, name="open"),
    path("opens/<int:pk>/", views.progress, name="progress"),
    path("opens/<int:pk>/status/", views.progress_status, name="progress_status"),
    path("spawn-token/", views.spawn_token, name="spawn_token"),
    path("gpu-allowance/<str:name>/", views.gpu_allowance_view, name="gpu_allowance"),
    path("usage/events/", views.usage_events, name="usage_events"),
    path("usage/", views.usage, name="usage"),
]

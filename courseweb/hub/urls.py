"""Hub URLs: open a homework in JupyterHub, and that request's progress."""

from django.urls import path

from . import views

app_name = "hub"
urlpatterns = [
    path("open/<slug:key>/", views.open_assignment, name="open"),
    path("opens/<int:pk>/", views.progress, name="progress"),
    path("opens/<int:pk>/status/", views.progress_status, name="progress_status"),
    path("spawn-token/", views.spawn_token, name="spawn_token"),
]

"""Buddy evaluation URLs: a student's own evaluations, and the staff's tables, history plots and CSV."""

from django.urls import path

from . import views

app_name = "peer"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.evaluate, name="evaluate"),
    path("staff/", views.staff_course, name="staff"),
    path("staff/export.csv", views.export_csv, name="csv"),
    path("staff/items/<slug:slug>/", views.staff_item, name="item"),
    path("staff/students/<int:user_id>/history.png", views.history_plot, name="history"),
]

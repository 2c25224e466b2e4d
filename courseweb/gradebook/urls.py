"""Gradebook URLs."""

from django.urls import path

from . import views

app_name = "gradebook"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export_csv, name="csv"),
    path("details.csv", views.export_details_csv, name="details_csv"),
    path("counted/", views.counted_log, name="counted_log"),
    path("items/<slug:slug>/histogram.png", views.histogram, name="histogram"),
]

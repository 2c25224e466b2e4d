"""Gradebook URLs."""

from django.urls import path

from . import views

app_name = "gradebook"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export_csv, name="csv"),
    path("items/<slug:slug>/histogram.png", views.histogram, name="histogram"),
]

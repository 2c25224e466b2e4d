from django.urls import path

from . import views

urlpatterns = [
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/<int:number>/", views.session_detail, name="session_detail"),
    path("schedule.ics", views.schedule_ics, name="schedule_ics"),
]

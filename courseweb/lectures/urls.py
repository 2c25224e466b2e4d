from django.urls import path

from . import views, views_calendar

urlpatterns = [
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/<int:number>/", views.session_detail, name="session_detail"),
    path("schedule/<int:number>/materials/add/", views.material_add, name="material_add"),
    path(
        "schedule/<int:number>/materials/<int:material_id>/move/",
        views.material_move_view,
        name="material_move",
    ),
    path(
        "schedule/<int:number>/materials/<int:material_id>/remove/",
        views.material_remove_view,
        name="material_remove",
    ),
    path(
        "schedule/<int:number>/materials/<int:material_id>/download/",
        views.material_download,
        name="material_download",
    ),
    path("schedule.ics", views.schedule_ics, name="schedule_ics"),
    path("calendar/", views_calendar.calendar_page, name="calendar_page"),
    path("calendar/regenerate/", views_calendar.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/revoke/", views_calendar.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:token>.ics", views_calendar.calendar_feed, name="calendar_feed"),
]

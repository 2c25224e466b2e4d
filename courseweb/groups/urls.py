"""Group pages: a student's group and invitations under /groups/, the staff's tools under /groups/staff/."""

from django.urls import path

from . import views

app_name = "groups"
urlpatterns = [
    path("", views.index, name="index"),
    path("create/", views.create, name="create"),
    path("invite/", views.invite, name="invite"),
    path("invitations/<int:pk>/accept/", views.accept, name="accept"),
    path("invitations/<int:pk>/decline/", views.decline, name="decline"),
    path("invitations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("leave/", views.leave, name="leave"),
    path("staff/", views.staff_overview, name="staff"),
    path("staff/move/", views.staff_move, name="staff_move"),
    path("staff/create/", views.staff_create, name="staff_create"),
    path("staff/automatch/", views.staff_automatch, name="automatch"),
]

"""Sign-up pages: sheets for students under /signups/, sheet management for staff under /signups/manage/."""

from django.urls import path

from . import views, views_staff

app_name = "signups"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:sheet_id>/", views.sheet_detail, name="sheet"),
    path("<int:sheet_id>/board/", views.board, name="board"),
    path("slot/<int:slot_id>/signup/", views.signup, name="signup"),
    path("signup/<int:signup_id>/drop/", views.drop, name="drop"),
    path("signup/<int:signup_id>/move/", views.move, name="move_own"),
    path("signup/<int:signup_id>/swap/", views.swap_request, name="swap_request"),
    path("swap/<int:request_id>/accept/", views.swap_answer, {"action": "accept"}, name="swap_accept"),
    path("swap/<int:request_id>/decline/", views.swap_answer, {"action": "decline"}, name="swap_decline"),
    path("swap/<int:request_id>/withdraw/", views.swap_answer, {"action": "withdraw"}, name="swap_withdraw"),
    path("manage/", views_staff.manage, name="manage"),
    path("manage/<int:sheet_id>/", views_staff.manage_sheet, name="manage_sheet"),
    path("manage/<int:sheet_id>/update/", views_staff.sheet_update, name="sheet_update"),
    path("manage/<int:sheet_id>/assign/", views_staff.assign, name="assign"),
    path("manage/<int:sheet_id>/move/", views_staff.move, name="move"),
    path("manage/<int:sheet_id>/swap/", views_staff.swap, name="swap"),
    path("manage/<int:sheet_id>/drop/", views_staff.staff_drop, name="staff_drop"),
    path("manage/<int:sheet_id>/capacity/", views_staff.capacity, name="capacity"),
    path("manage/<int:sheet_id>/export.csv", views_staff.export_csv, name="export"),
]

"""Homework URLs: pages, the feedback frame, item hand-ins, tokens and the JSON API."""

from django.urls import path

from . import api, openapi, views, views_items, views_quarantine, views_sharing

app_name = "homework"
urlpatterns = [
    path("", views.index, name="index"),
    path("tokens/", api.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", api.token_revoke, name="token_revoke"),
    path("api/openapi.json", openapi.api_openapi, name="api_openapi"),
    path("api/assignments/", api.api_assignments, name="api_assignments"),
    path("api/assignments/<slug:key>/submissions/", api.api_submit, name="api_submit"),
    path("api/submissions/<int:pk>/", api.api_submission, name="api_submission"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/regrade/", views.submission_regrade_view, name="submission_regrade"),
    path("submissions/<int:pk>/grade/", views.manual_grade, name="manual_grade"),
    path("jobs/<int:pk>/feedback/<str:stem>/", views.feedback_frame, name="feedback"),
    path("items/<slug:slug>/", views_items.item_detail, name="item"),
    path("items/<slug:slug>/grading/", views_items.item_grading, name="item_grading"),
    path("items/<slug:slug>/grading/<int:group_id>/", views_items.item_grade, name="item_grade"),
    path("files/<int:pk>/", views_items.deliverable_download, name="deliverable"),
    path("kept/<str:token>/", views_quarantine.kept, name="kept"),
    path("<slug:key>/", views.assignment_detail, name="assignment"),
    path("<slug:key>/notebooks/<str:stem>.ipynb", views.notebook_download, name="download"),
    path("<slug:key>/submit/", views.submit, name="submit"),
    path("<slug:key>/counted/", views.choose_counted, name="choose_counted"),
    path("<slug:key>/staff/", views.assignment_staff, name="staff"),
    path("<slug:key>/regrade/", views.regrade, name="regrade"),
    path("<slug:key>/staff/sharing/", views_sharing.sharing_toggle, name="sharing"),
    path("<slug:key>/share/", views_sharing.solution_publish_view, name="solution_publish"),
    path("<slug:key>/share/withdraw/", views_sharing.solution_withdraw_view, name="solution_withdraw"),
    path("<slug:key>/solutions/<int:pk>/", views_sharing.solution_detail, name="solution"),
    path(
        "<slug:key>/solutions/<int:pk>/notebook.ipynb",
        views_sharing.solution_download,
        name="solution_download",
    ),
]

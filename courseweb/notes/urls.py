"""Notes URLs: the book of each offering (by its slug, e.g. /notes/s25/) and the scribing workflow."""

from django.urls import path

from . import views, views_scribing

app_name = "notes"
urlpatterns = [
    path("", views.index, name="index"),
    path("scribe/", views_scribing.scribe_home, name="scribe_home"),
    path("scribe/session/<int:session_id>/", views_scribing.note_edit, name="note_edit"),
    path("scribe/session/<int:session_id>/assign/", views_scribing.note_assign_view, name="note_assign"),
    path("scribe/note/<int:note_id>/", views_scribing.note_view, name="note_detail"),
    path("scribe/note/<int:note_id>/review/", views_scribing.note_review, name="note_review"),
    path("scribe/note/<int:note_id>/comment/", views_scribing.note_comment_view, name="note_comment"),
    path("scribe/note/<int:note_id>/diff/<int:old>/<int:new>/", views_scribing.note_diff, name="note_diff"),
    path("<slug:season>/", views.book_toc_view, name="book"),
    path("<slug:season>/search/", views.search_view, name="search"),
    path("<slug:season>/references/", views.references_view, name="references"),
    path("<slug:season>/print/", views.print_view, name="print"),
    path("<slug:season>/go/<str:html_id>/", views.anchor_redirect, name="anchor"),
    path("<slug:season>/<slug:slug>/", views.page_view, name="page"),
]

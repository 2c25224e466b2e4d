from django.urls import path

from . import views
from .feeds import PrivateAnnouncementsFeed, PublicAnnouncementsFeed

app_name = "announcements"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("read-all/", views.read_all, name="read_all"),
    path("feed/", PublicAnnouncementsFeed(), name="feed"),
    path("feed/<str:token>/", PrivateAnnouncementsFeed(), name="private_feed"),
    path("feeds/", views.feeds_page, name="feeds"),
    path("feeds/regenerate/", views.feed_regenerate, name="feed_regenerate"),
    path("feeds/revoke/", views.feed_revoke, name="feed_revoke"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/read/", views.read, name="read"),
]

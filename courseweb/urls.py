"""URL map: one include per app.

No URL serves MEDIA_ROOT, in any settings module (not even `runserver` with DEBUG): stored files go out only
through views that check access (`courseweb/core/files.py`).
"""

from django.contrib import admin
from django.urls import include, path

from courseweb.accounts.oidc import oidc_provider_urlpatterns

urlpatterns = [
    path("", include("courseweb.core.urls")),
    path("", include("courseweb.lectures.urls")),
    path("accounts/", include("courseweb.accounts.urls")),
    path("notes/", include("courseweb.notes.urls")),
    path("papers/", include("courseweb.papers.urls")),
    path("groups/", include("courseweb.groups.urls")),
    path("signups/", include("courseweb.signups.urls")),
    path("homework/", include("courseweb.homework.urls")),
    path("gradebook/", include("courseweb.gradebook.urls")),
    path("peer/", include("courseweb.peer.urls")),
    path("", include("courseweb.courses.urls")),
    path("announcements/", include("courseweb.announcements.urls")),
    path("notifications/", include("courseweb.notifications.urls")),
    path("hub/", include("courseweb.hub.urls")),
    path("o/", include((oidc_provider_urlpatterns(), "oauth2_provider"))),
    path("admin/", admin.site.urls),
]

handler404 = "courseweb.core.views.page_not_found"

"""Role changes on the site reach the hub: a user's hub groups (`course:<offering>:<role>`) follow their enrollments.

`accounts.services.role_set` (the one place roles change and are logged) queues `hub.groups_push` on commit;
the task puts the user's current course-role groups on the hub through its REST API (the service token has
`admin:groups`), so a demoted TA loses the offering's staff role (`course-staff-<slug>`, given through the
groups) at once, not at their next log-in.  A user the hub does not know yet is left alone: their first log-in
brings their groups.
"""

from __future__ import annotations

from courseweb.accounts.oidc import course_groups, hub_username
from courseweb.hub import client


def hub_groups_push(*, user_id: int) -> str:
    from courseweb.accounts.models import User

    if not client.hub_configured():
        return "no hub"
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "no such user"
    if not client.user_groups_set(name=hub_username(user), groups=course_groups(user)):
        return "not on the hub"
    return "pushed"

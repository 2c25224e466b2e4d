"""The site as an OpenID Connect provider (django-oauth-toolkit) for the course's JupyterHub.

Claims: `sub` is the site's user id; `preferred_username` is `u<id>` (never the site username, so a roster
address such as `root@…` can never name a system account on the hub); `groups` lists the user's course roles as
`course:<offering slug>:<role>` (role: student, ta, instructor).  Mounted under `/o/` by `courseweb/urls.py`
(only the authorization, token, revocation, introspection, discovery, JWKS, userinfo and logout endpoints).
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from courseweb.courses.models import Enrollment

GROUPS_CLAIM = "groups"


def hub_username(user: Any) -> str:
    """The name the hub knows a user by: derived from the site's user id only."""
    return f"u{user.pk}"


def course_groups(user: Any) -> list[str]:
    """`course:<offering>:<role>` for each of the user's enrollments."""
    rows = (
        Enrollment.objects.filter(user=user).values_list("offering__slug", "role").order_by("offering__slug")
    )
    return [f"course:{slug}:{role}" for slug, role in rows]


class CourseOIDCValidator(OAuth2Validator):
    """Adds the hub's username and the course-role groups to the ID token and the userinfo answer."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, GROUPS_CLAIM: "openid"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "preferred_username": hub_username(user),
            "name": getattr(user, "display_name", "") or user.get_full_name(),
            "email": user.email or "",
            GROUPS_CLAIM: course_groups(user),
        }


def oidc_provider_urlpatterns() -> list:
    """django-oauth-toolkit's authorization-server and OpenID views, without the device flow.

    Only `base_urlpatterns` (authorize, token, revoke, introspect) and `oidc_urlpatterns` (discovery, JWKS,
    userinfo, logout): no application or token management pages, no device authorization, no dynamic
    client registration.  The hub's Application is made by `manage.py create_hub_application`.
    """
    from oauth2_provider import urls as dot_urls

    base = [p for p in dot_urls.base_urlpatterns if not str(p.name).startswith("device")]
    return [*base, *dot_urls.oidc_urlpatterns]

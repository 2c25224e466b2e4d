"""The course hub's setup as data, one function (`hub_data`) for both deployments of the same hub.

`course_hub.config.apply` turns it into the traitlets config of `deploy/jupyterhub/jupyterhub_config.py` (one
machine, `make run`); `course_hub.z2jh` turns it into Zero to JupyterHub's Helm values
(`deploy/jupyterhub/z2jh-values.yaml`, Kubernetes).  What both take from here: the OAuth endpoints, scopes and
claims of the site's OpenID Connect provider, the groups key and the allowed groups, the hub username (from the
`sub` claim, `course_hub.settings.hub_username`), the roles, the idle culler, and the server profiles with their
limits (the jailed spawner's cgroup locally, the pod's limits on Kubernetes; only the GPU profile has a GPU).
"""

from __future__ import annotations

from dataclasses import dataclass

from course_hub.settings import SITE_SERVICE, HubSettings

# What the site may do through the hub's REST API: create users, set their groups, start and stop their servers,
# and put the homework into a server (its contents API, reached through the proxy).
SITE_SCOPES = ("admin:users", "admin:servers", "access:servers", "list:users", "read:users", "admin:groups")
CULLER_SCOPES = ("list:users", "read:users:activity", "read:servers", "delete:servers")
GROUPS_CLAIM = "groups"  # the site's claim (courseweb.accounts.oidc.GROUPS_CLAIM)
CULL_EVERY_S = 300


@dataclass(frozen=True)
class OAuth:
    client_id: str
    authorize_url: str  # the browser's address of the site
    token_url: str  # server to server
    userdata_url: str
    callback_url: str
    logout_redirect_url: str  # /hub/logout sends the browser back to the site
    scope: tuple[str, ...]
    auth_state_groups_key: str
    allowed_groups: tuple[str, ...]
    login_service: str = "the course site"
    enable_pkce: bool = True
    auto_login: bool = True  # a student logged in on the site is not asked again
    manage_groups: bool = True  # the groups claim becomes the user's hub groups at each log-in


@dataclass(frozen=True)
class Culler:
    timeout_s: int
    every_s: int


@dataclass(frozen=True)
class Profile:
    slug: str  # user_options["profile"]
    display_name: str
    description: str
    cpu_limit: float
    mem_limit_mb: int
    pids_max: int
    gpus: int = 0
    default: bool = False


@dataclass(frozen=True)
class HubData:
    oauth: OAuth
    culler: Culler
    profiles: tuple[Profile, ...]
    roles: tuple[dict, ...]  # JupyterHub's load_roles entries (the culler's role is each deployment's own)
    default_url: str = "/lab"

    def profile(self, slug: str) -> Profile:
        return next(p for p in self.profiles if p.slug == slug)


def staff_roles(s: HubSettings) -> list[dict]:
    """One role per offering for its TAs and instructors: the admin page, and their offering's students (and only
    them) listed, readable, and their servers reachable, started and stopped; never whole-hub admin."""
    roles = []
    for slug in s.offerings:
        students = f"group=course:{slug}:student"
        roles.append(
            {
                "name": f"course-staff-{slug}",
                "description": f"TAs and instructors of {slug}: their students' servers",
                "scopes": [
                    "admin-ui",
                    f"list:users!{students}",
                    f"read:users!{students}",
                    f"read:users:activity!{students}",
                    f"access:servers!{students}",
                    f"admin:servers!{students}",
                ],
                "groups": [f"course:{slug}:ta", f"course:{slug}:instructor"],
            }
        )
    return roles


def profiles(s: HubSettings) -> tuple[Profile, ...]:
    """The profiles of `course_hub.profiles` (their names, the default) with this deployment's limits; only the
    GPU profile has a GPU."""
    from course_hub.profiles import DEFAULT_PROFILE, PROFILES

    limits = f"{s.cpu_limit:g} CPUs, {s.mem_limit_mb} MB memory"
    return tuple(
        Profile(
            slug=slug,
            display_name=name,
            description=f"{limits} and one GPU" if slug == "gpu" else limits,
            cpu_limit=s.cpu_limit,
            mem_limit_mb=s.mem_limit_mb,
            pids_max=s.pids_max,
            gpus=1 if slug == "gpu" else 0,
            default=slug == DEFAULT_PROFILE,
        )
        for slug, name in PROFILES.items()
    )


def hub_data(s: HubSettings) -> HubData:
    oauth = OAuth(
        client_id=s.client_id,
        authorize_url=f"{s.site_url}/o/authorize/",
        token_url=f"{s.site_internal_url}/o/token/",
        userdata_url=f"{s.site_internal_url}/o/userinfo/",
        callback_url=f"{s.hub_url}/hub/oauth_callback",
        logout_redirect_url=f"{s.site_url}/",
        scope=("openid", "profile", "email"),
        auth_state_groups_key=f"oauth_user.{GROUPS_CLAIM}",
        allowed_groups=tuple(sorted(s.allowed_groups)),
    )
    site_role = {"name": SITE_SERVICE, "scopes": list(SITE_SCOPES), "services": [SITE_SERVICE]}
    return HubData(
        oauth=oauth,
        culler=Culler(timeout_s=s.idle_timeout_s, every_s=min(CULL_EVERY_S, max(s.idle_timeout_s // 2, 1))),
        profiles=profiles(s),
        roles=(site_role, *staff_roles(s)),
    )

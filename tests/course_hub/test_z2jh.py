"""Zero to JupyterHub's values (deploy/jupyterhub/z2jh-values.yaml) and jupyterhub_config.py describe the same hub:
the committed file is the generator's output, and both give the same OAuth endpoints, scopes, groups key and
allowed groups, roles, culler and profiles (only the GPU profile has a GPU).  No Z2JH schema is published on a
package registry, so the values are checked structurally: every authenticator option is a trait of
GenericOAuthenticator, every role scope exists in this JupyterHub, the image is the course image of the manifests.
"""

from __future__ import annotations

import subprocess
import sys

import yaml
from oauthenticator.generic import GenericOAuthenticator
from traitlets.config import Config

from course_hub import z2jh
from course_hub.config import apply
from course_hub.settings import hub_username
from tests.workers import REPO

VALUES = REPO / "deploy" / "jupyterhub" / "z2jh-values.yaml"


def _both(tmp_path, **env):
    s = z2jh.k8s_settings({"HUB_STATE_DIR": str(tmp_path), **env})
    c = Config()
    apply(c, s)
    return c, z2jh.values(s)


def test_the_committed_values_are_the_generators_output():
    assert VALUES.read_text() == z2jh.render(z2jh.k8s_settings({}))
    clean = subprocess.run(
        [sys.executable, "-m", "course_hub.z2jh"],
        cwd=REPO,
        env={},
        capture_output=True,
        text=True,
        check=True,
    )
    assert clean.stdout == VALUES.read_text()


def test_the_values_and_jupyterhub_config_describe_the_same_hub(tmp_path):
    c, v = _both(tmp_path, HUB_OFFERINGS="s26,f26", HUB_IDLE_TIMEOUT_S="900", HUB_MEM_LIMIT_MB="3072")
    a, k = c.GenericOAuthenticator, v["hub"]["config"]["GenericOAuthenticator"]
    for key in (
        "authorize_url",
        "token_url",
        "userdata_url",
        "logout_redirect_url",
        "client_id",
        "login_service",
    ):
        assert k[key] == getattr(a, key), key
    assert (
        k["oauth_callback_url"]
        == a.oauth_callback_url
        == "https://hub.dote6635.example.edu/hub/oauth_callback"
    )
    assert k["token_url"] == "http://courseweb-web/o/token/"  # in the cluster, the site's Service
    assert k["scope"] == a.scope
    assert k["auth_state_groups_key"] == a.auth_state_groups_key == "oauth_user.groups"
    assert set(k["allowed_groups"]) == a.allowed_groups and "course:f26:ta" in a.allowed_groups
    for key in ("enable_pkce", "auto_login", "manage_groups"):
        assert k[key] is getattr(a, key) is True, key
    assert v["hub"]["config"]["JupyterHub"]["authenticator_class"] == c.JupyterHub.authenticator_class

    # the hub username: the same function, run from the values' extraConfig
    namespace = {"c": Config()}
    exec(v["hub"]["extraConfig"]["courseUsername"], namespace)  # our own generated config
    claim = namespace["c"].GenericOAuthenticator.username_claim
    assert claim({"sub": "42", "preferred_username": "root"}) == hub_username({"sub": "42"}) == "u42"

    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")["command"]
    assert v["cull"] == {"enabled": True, "timeout": 900, "every": 300}
    assert "--timeout=900" in culler and "--cull-every=300" in culler

    local_roles = {r["name"]: r for r in c.JupyterHub.load_roles if r["name"] != "idle-culler"}
    assert set(local_roles) == {"course-staff-s26", "course-staff-f26"}  # no token here: no site service
    for name, role in local_roles.items():
        assert v["hub"]["loadRoles"][name] == {k2: v2 for k2, v2 in role.items() if k2 != "name"}
    assert v["hub"]["loadRoles"]["courseweb"]["services"] == ["courseweb"]

    profiles = {p["slug"]: p for p in v["singleuser"]["profileList"]}
    assert set(profiles) == set(c.JailedSpawner.profile_limits) == {"cpu", "gpu"}
    for slug, limits in c.JailedSpawner.profile_limits.items():
        override = profiles[slug]["kubespawner_override"]
        assert override["cpu_limit"] == limits["cpu"] and override["mem_limit"] == f"{limits['memory_mb']}M"
        gpus = override.get("extra_resource_limits", {}).get("nvidia.com/gpu")
        assert (int(gpus) if gpus else 0) == limits["gpus"]
    assert profiles["gpu"]["kubespawner_override"]["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert "extra_resource_limits" not in profiles["cpu"]["kubespawner_override"]
    assert profiles["cpu"]["kubespawner_override"]["mem_limit"] == "3072M"
    assert [p.get("default", False) for p in v["singleuser"]["profileList"]] == [True, False]
    assert v["singleuser"]["defaultUrl"] == c.Spawner.default_url


def test_the_values_are_well_formed_for_the_chart():
    v = yaml.safe_load(VALUES.read_text())
    assert set(v) == {"hub", "singleuser", "cull"}
    traits = GenericOAuthenticator.class_trait_names()
    unknown = [k for k in v["hub"]["config"]["GenericOAuthenticator"] if k not in traits]
    assert not unknown, unknown
    from jupyterhub.scopes import _check_scopes_exist

    for name, role in v["hub"]["loadRoles"].items():
        _check_scopes_exist(role["scopes"], who_for=f"role {name}")
    for code in v["hub"]["extraConfig"].values():
        compile(code, "extraConfig", "exec")
    for env in v["hub"]["extraEnv"].values():
        assert env["valueFrom"]["secretKeyRef"]["name"] == "courseweb-env"  # no secret in the values
    images = {
        d["image"]
        for doc in yaml.safe_load_all((REPO / "deploy" / "k8s" / "courseweb.yaml").read_text())
        if doc and doc["kind"] in ("Deployment", "Job")
        for d in doc["spec"]["template"]["spec"]["containers"]
    }
    image = v["singleuser"]["image"]
    assert images == {f"{image['name']}:{image['tag']}"}  # the course environment of the site's workers
    for profile in v["singleuser"]["profileList"]:
        assert set(profile) <= {"display_name", "slug", "description", "default", "kubespawner_override"}

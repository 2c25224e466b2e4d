"""The deployment configs in `deploy/`, checked offline with the tools made for them: the Dockerfile with a
Dockerfile parser, the compose file with `docker-compose config`, the Kubernetes manifests with
kubernetes-validate, the nginx site with `nginx -t`, and gunicorn's config by starting gunicorn on it and asking
`/healthz`. The upload size and the timeouts are tied to the site's own limits. (Building and running the image
needs base images from a registry, which this machine cannot pull: documented in deploy/README.md, not tested.)
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if path is None:
        skip_or_fail(f"{name} is not installed (bin/bootstrap installs it as root)")
    return path


def _site_upload_limits() -> dict[str, int]:
    """Every upload limit the site enforces itself, in bytes (the functions the views call)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseweb.settings.test")
    django.setup()
    from django.conf import settings

    from courseweb.homework.services.submissions import max_upload_bytes
    from courseweb.lectures.forms import max_material_bytes

    return {
        "notebook": max_upload_bytes(),
        "material": max_material_bytes(),
        "hand-in file": settings.HOMEWORK_MAX_FILE_BYTES,
    }


# --- Dockerfile -------------------------------------------------------------------------------------------------


def _dockerfile():
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=open(DEPLOY / "docker" / "Dockerfile", "rb"))  # noqa: SIM115
    return [step for step in parser.structure if step["instruction"] != "COMMENT"]


def test_the_image_installs_from_the_lock_files_with_the_torch_pin():
    steps = _dockerfile()
    assert steps[0]["instruction"] == "FROM" and "python:3.11" in steps[0]["value"]
    copies = " ".join(s["value"] for s in steps if s["instruction"] == "COPY")
    runs = " ".join(s["value"] for s in steps if s["instruction"] == "RUN")
    assert "requirements.lock" in copies and "package-lock.json" in copies
    assert "-c requirements.lock" in runs and "npm ci" in runs
    assert '"torch==2.13.0"' in runs
    assert not re.search(r"pip install[^&]*\btorch(?!==2\.13\.0)\b[^=]", runs), (
        "torch must be pinned everywhere"
    )


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck_on_healthz():
    steps = _dockerfile()
    users = [s["value"].strip() for s in steps if s["instruction"] == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    health = [s["value"] for s in steps if s["instruction"] == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0]
    cmd = [s["value"] for s in steps if s["instruction"] == "CMD"][-1]
    assert "gunicorn" in cmd and "deploy/gunicorn.conf.py" in cmd


def _stages(steps: list[dict]) -> list[list[dict]]:
    """The Dockerfile's build stages, each from its FROM on."""
    stages: list[list[dict]] = []
    for step in steps:
        if step["instruction"] == "FROM":
            stages.append([])
        stages[-1].append(step)
    return stages


LABEXT_DEST = "/usr/local/share/jupyter/labextensions/course-hub-submit"


def test_the_image_builds_the_lab_extension_from_its_lockfile_with_bin_build_labextension():
    """The Submit button's JupyterLab extension: built in a stage of its own by the same script as bin/bootstrap,
    for the stage's Python (the same base image, so the same prefix as the image's), with a Node its build tools
    accept; the image takes the built extension into its own JupyterLab's labextensions folder."""
    stages = _stages(_dockerfile())
    final = stages[-1]
    assert final[0]["value"].startswith("python:3.11")
    built = [
        s
        for s in stages
        if any("bin/build-labextension" in x["value"] for x in s if x["instruction"] == "RUN")
    ]
    assert len(built) == 1, "one stage runs bin/build-labextension"
    stage = built[0]
    base, _, name = stage[0]["value"].partition(" AS ")
    assert base.strip() == final[0]["value"].strip(), "the same Python (prefix /usr/local) as the image"
    runs = [x["value"] for x in stage if x["instruction"] == "RUN"]
    assert any(r.split() == ["bin/build-labextension", "python"] for r in runs), runs
    assert any("-c requirements.lock jupyter_builder" in r for r in runs), (
        "jupyter_builder from the lock file"
    )
    copies = [x["value"].split() for x in stage if x["instruction"] == "COPY"]
    assert [
        "course_hub/labextension",
        "course_hub/labextension",
    ] in copies  # its package-lock.json and sources
    assert ["bin/build-labextension", "bin/"] in copies
    node = next(c[0].removeprefix("--from=") for c in copies if c[-1] == "/usr/local/bin/node")
    lock = json.loads((REPO / "course_hub" / "labextension" / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/@rspack/core"]["engines"]["node"]  # "^20.19.0 || >=22.12.0"
    major = int(re.match(r"node:(\d+)", node).group(1))
    assert f">={major}." in wanted.replace(" ", ""), (node, wanted)
    taken = [
        x["value"].split() for x in final if x["instruction"] == "COPY" and x["value"].startswith("--from=")
    ]
    assert [f"--from={name.strip()}", LABEXT_DEST, LABEXT_DEST] in taken, taken


def test_the_build_context_leaves_out_node_modules_the_venv_and_the_hosts_files(tmp_path):
    """.dockerignore, read by docker's own matching rules (docker-py's `exclude_paths`, from Debian's
    python3-docker, which docker-compose brings): on a tree with the host's usual leftovers, and on this checkout."""
    probe = (
        "import json, sys\n"
        "from docker.utils.build import exclude_paths\n"
        "root = sys.argv[1]\n"
        "patterns = [l.strip() for l in open(root + '/.dockerignore') if l.strip() and not l.startswith('#')]\n"
        "print(json.dumps(sorted(exclude_paths(root, patterns))))\n"
    )

    def context(root: Path) -> set[str]:
        found = subprocess.run(["/usr/bin/python3", "-c", probe, str(root)], capture_output=True, text=True)
        if "No module named 'docker'" in found.stderr:
            skip_or_fail(
                "python3-docker is not installed (docker-compose brings it; bin/bootstrap installs that)"
            )
        assert found.returncode == 0, found.stderr
        return set(json.loads(found.stdout))

    kept = [
        "manage.py",
        "requirements.lock",
        "bin/build-labextension",
        "course_hub/labextension/package.json",
        "course_hub/labextension/package-lock.json",
        "course_hub/labextension/src/index.js",
        "courseweb/static/courseweb/site.css",
        "assignments/hw1/data/train.csv",
    ]
    left_out = [
        ".git/HEAD",
        ".venv/bin/python",
        "node_modules/htmx.org/package.json",
        "course_hub/labextension/node_modules/@rspack/core/package.json",
        "course_hub/labextension/build/package.json",
        "courseweb/static/vendor/htmx.min.js",
        "staticfiles/admin/base.css",
        "var/db.sqlite3",
        "var/hub/homes/u1/work.ipynb",
        "media/submissions/1.ipynb",
        ".env",
        "courseweb/__pycache__/urls.cpython-311.pyc",
        "courseweb.egg-info/PKG-INFO",
        ".pytest_cache/README.md",
    ]
    for path in kept + left_out:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    shutil.copy(REPO / ".dockerignore", tmp_path / ".dockerignore")
    sent = context(tmp_path)
    assert set(kept) <= sent, set(kept) - sent
    assert not sent & set(left_out), sent & set(left_out)

    sent = context(REPO)
    assert {
        "deploy/docker/Dockerfile",
        "bin/build-labextension",
        "course_hub/labextension/package-lock.json",
    } <= sent
    heavy = ("node_modules/", ".venv/", ".git/", "var/", "media/", "course_hub/labextension/build/")
    assert not [p for p in sent if p.startswith(heavy) or "/node_modules/" in p]


def _image_env() -> dict[str, str]:
    from dockerfile_parse import DockerfileParser

    with open(DEPLOY / "docker" / "Dockerfile", "rb") as handle:
        return DockerfileParser(fileobj=handle).envs


def test_every_stored_file_lives_on_the_media_volume_that_every_host_mounts():
    """Two web replicas (Kubernetes) or a web and a worker container (compose) must see the same files: lecture
    materials included, whose default folder is under the per-host var dir."""
    env = _image_env()
    media = env["MEDIA_ROOT"]
    assert env["MATERIALS_ROOT"].startswith(media + "/")
    manifests = [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "courseweb.yaml").read_text()) if doc]
    pods = [d for d in manifests if d["kind"] == "Deployment"]
    assert pods
    for deployment in pods:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if "beat" in container.get("command", []):  # the scheduler only sends tasks; it reads no file
                continue
            mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
            assert media in mounts, (deployment["metadata"]["name"], container["name"])
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        runs_image = "build" in service or str(service.get("image", "")).startswith("dote6635/courseweb")
        if runs_image and "beat" not in service.get("command", []):
            assert any(str(v).split(":")[1] == media for v in service.get("volumes", [])), name


# --- compose ----------------------------------------------------------------------------------------------------


def test_the_compose_file_is_valid_and_has_every_part(tmp_path):
    docker_compose = _tool("docker-compose")
    env = {**os.environ, "COURSEWEB_ENV_FILE": str(DEPLOY / "env.example")}
    check = subprocess.run(
        [docker_compose, "-f", str(DEPLOY / "compose.yaml"), "--profile", "gpu", "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    resolved = subprocess.run(
        [docker_compose, "-f", str(DEPLOY / "compose.yaml"), "--profile", "gpu", "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    services = yaml.safe_load(resolved)["services"]
    assert {"web", "nginx", "worker-grading", "worker-gpu", "beat", "db", "redis", "hub", "migrate"} <= set(
        services
    )
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "default,grading" in services["worker-grading"]["command"]
    assert "gpu" in services["worker-gpu"]["command"]
    for name in ("web", "worker-grading", "worker-gpu", "beat", "hub"):
        assert services[name]["image"] == services["web"]["image"], "one image for the site, workers and hub"
        assert services[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")
    # the media volume is shared by the site and every worker (submissions, feedback, deliverables)
    for name in ("web", "worker-grading", "worker-gpu"):
        sources = [v["source"] if isinstance(v, dict) else v.split(":")[0] for v in services[name]["volumes"]]
        assert any(src.endswith("media") for src in sources), (name, sources)
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


# --- Kubernetes -------------------------------------------------------------------------------------------------


def _manifests() -> list[dict]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "courseweb.yaml").read_text()) if doc]


def test_the_kubernetes_manifests_validate_against_the_api_schemas():
    import kubernetes_validate

    docs = _manifests()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "PersistentVolumeClaim", "Job"}
    version = kubernetes_validate.latest_version()
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_manifests_probe_healthz_and_only_the_gpu_worker_asks_for_a_gpu():
    deployments = {d["metadata"]["name"]: d for d in _manifests() if d["kind"] == "Deployment"}
    web = deployments["courseweb-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for name, d in deployments.items():
        limits = d["spec"]["template"]["spec"]["containers"][0].get("resources", {}).get("limits", {})
        assert ("nvidia.com/gpu" in limits) == (name == "courseweb-worker-gpu"), name
    assert deployments["courseweb-beat"]["spec"]["replicas"] == 1


def test_a_broken_manifest_is_refused():
    """The check above can fail: a Deployment without its selector is rejected."""
    import kubernetes_validate

    doc = next(d for d in _manifests() if d["kind"] == "Deployment")
    broken = {**doc, "spec": {k: v for k, v in doc["spec"].items() if k != "selector"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


# --- nginx ------------------------------------------------------------------------------------------------------


def _nginx_size(conf: str) -> int:
    value = re.search(r"client_max_body_size\s+(\d+)([kmg]?);", conf).groups()
    return int(value[0]) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[value[1]]


def test_nginx_accepts_the_site_config(tmp_path):
    nginx = _tool("nginx")
    conf = (DEPLOY / "nginx" / "courseweb.conf").read_text()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    conf = conf.replace("/etc/ssl/certs/dote6635.pem", str(cert)).replace(
        "/etc/ssl/private/dote6635.key", str(key)
    )
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_lets_every_upload_the_site_accepts_reach_the_site():
    """nginx must not refuse (413, with its own page) an upload the site would accept, and its limit stays close
    to the site's, so that the site, not nginx, answers a too-large upload with its own message."""
    limits = _site_upload_limits()
    size = _nginx_size((DEPLOY / "nginx" / "courseweb.conf").read_text())
    largest = max(limits.values())
    assert largest + 2**20 <= size <= largest + 10 * 2**20, (size, limits)


def test_nginx_waits_as_long_as_gunicorn():
    conf = (DEPLOY / "nginx" / "courseweb.conf").read_text()
    read_timeout = int(re.search(r"proxy_read_timeout\s+(\d+)s;", conf).group(1))
    gunicorn_conf = (DEPLOY / "gunicorn.conf.py").read_text()
    gunicorn_timeout = int(re.search(r'"GUNICORN_TIMEOUT", "(\d+)"', gunicorn_conf).group(1))
    assert read_timeout == gunicorn_timeout
    assert "X-Forwarded-Proto $scheme" in conf  # the header the production settings trust
    prod = (REPO / "courseweb" / "settings" / "prod.py").read_text()
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in prod


# --- gunicorn ---------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_healthz_with_the_deploy_config(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "DJANGO_SETTINGS_MODULE": "courseweb.settings.test",
        "COURSEWEB_VAR_DIR": str(tmp_path / "var"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(DEPLOY / "gunicorn.conf.py"),
            "courseweb.wsgi:application",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "gunicorn.log", "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz", headers={"Host": "localhost"})
                response = conn.getresponse()
                status, body = response.status, response.read()
            except OSError:
                assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.5)
        assert status in (200, 503), (tmp_path / "gunicorn.log").read_text()
        assert b"database" in body  # the health report, from the site
    finally:
        proc.terminate()
        proc.wait(timeout=60)

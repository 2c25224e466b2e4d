"""What the multi-host test runs inside its hosts (`python -m tests.deploy.cluster_site …`).

- `seed`, on the web host, as a deploy does before starting the site: create the tables in the db host's empty
  database, then make a course whose first session has started, the tiny fixture assignment released, and `--students`
  enrolled students who log in with the factories' password. Prints what it made as one JSON line.
- `upload`, on the client host: each student, in parallel, logs in through the site's log-in form and uploads the
  notebook (or, where `--notebook` is a folder, their own `<username>.ipynb` in it) through the assignment page's
  form, over HTTP to the web host's address (no Django here, only the
  site's pages). Prints one JSON line: per student, the HTTP status and the submission the site redirected to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def seed(*, students: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from courseweb.courses.models import Role
    from courseweb.homework.models import Assignment
    from courseweb.homework.services.assignments import assignments_sync
    from tests.courseweb.homework.notebooks import FIXTURES
    from tests.factories import PASSWORD, EnrollmentFactory, OfferingFactory, SessionFactory, UserFactory

    # The tables straight from the models, as pytest-django's --nomigrations makes them: replaying the ~90
    # migrations costs ~25 s of a 2-core machine and is not what this test is about (the suite's own database
    # set-up runs them; the one data migration, notes' search index, plays no part in grading).
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", interactive=False, verbosity=0, run_syncdb=True)
    offering = OfferingFactory()
    start = timezone.now() - dt.timedelta(days=1)
    for n in (1, 2, 3):
        week = dt.timedelta(weeks=n - 1)
        SessionFactory(
            offering=offering, number=n, starts_at=start + week, ends_at=start + week + dt.timedelta(hours=2)
        )
    report = assignments_sync(offering=offering, root=FIXTURES)
    if report.errors:
        raise SystemExit(f"assignments_sync: {report.errors}")
    tiny = Assignment.objects.get(offering=offering, key="tiny")
    usernames = []
    for _ in range(students):
        user = UserFactory()
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
        usernames.append(user.username)
    return {
        "assignment": tiny.key,
        "release": str(Path(tiny.release_dir) / "tiny.ipynb"),
        "usernames": usernames,
        "password": PASSWORD,
    }


def _wait_for_site(base: str, *, timeout: float = 120) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:  # any answer will do: before the workers are up, /healthz says 503 after pinging them (seconds)
            requests.get(f"{base}/healthz", timeout=30)
            return
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def upload_one(*, base: str, username: str, password: str, key: str, data: bytes) -> dict[str, Any]:
    """Log in through the form, then upload through the assignment page's form, as a browser would."""
    import requests

    with requests.Session() as http:
        http.get(f"{base}/accounts/login/", timeout=60).raise_for_status()
        login = http.post(
            f"{base}/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": http.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=60,
        )
        if login.status_code != 302:
            return {"username": username, "status": login.status_code, "step": "login", "submission": None}
        http.get(
            f"{base}/homework/{key}/", timeout=60
        ).raise_for_status()  # the page the student uploads from
        sent = http.post(
            f"{base}/homework/{key}/submit/",
            data={"csrfmiddlewaretoken": http.cookies["csrftoken"]},  # rotated at log-in
            files={"notebook": (f"{key}.ipynb", data, "application/x-ipynb+json")},
            allow_redirects=False,
            timeout=120,
        )
        found = re.search(r"/homework/submissions/(\d+)/", sent.headers.get("location", ""))
        return {
            "username": username,
            "status": sent.status_code,
            "step": "upload",
            "submission": int(found.group(1)) if found else None,
        }


def upload(
    *, base: str, usernames: list[str], password: str, key: str, notebook: Path
) -> list[dict[str, Any]]:
    _wait_for_site(base)
    data = {
        name: (notebook / f"{name}.ipynb" if notebook.is_dir() else notebook).read_bytes()
        for name in usernames
    }
    with ThreadPoolExecutor(max_workers=len(usernames)) as pool:
        return list(
            pool.map(
                lambda name: upload_one(
                    base=base, username=name, password=password, key=key, data=data[name]
                ),
                usernames,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seed_args = commands.add_parser("seed")
    seed_args.add_argument("--students", type=int, required=True)
    upload_args = commands.add_parser("upload")
    upload_args.add_argument("--base", required=True)
    upload_args.add_argument("--key", required=True)
    upload_args.add_argument("--notebook", type=Path, required=True)
    upload_args.add_argument("--password", required=True)
    upload_args.add_argument("usernames", nargs="+")
    args = parser.parse_args()
    if args.command == "seed":
        result: Any = seed(students=args.students)
    else:
        result = upload(
            base=args.base,
            usernames=args.usernames,
            password=args.password,
            key=args.key,
            notebook=args.notebook,
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

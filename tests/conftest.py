"""Suite-wide fixtures and the rule for tests that need PostgreSQL or Redis.

Tests marked `needs_postgres` / `needs_redis` skip with a message when the service is absent; under CI=true such a
skip is turned into a failure, because CI must exercise them.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

# `--dist loadgroup` grouping under pytest 9 (pytest-xdist 3.8 sets a node id attribute pytest 9 no longer reads)
pytest_plugins = ["tests.xdist_groups"]

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COURSE_SHARED_DIR", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run in CI)")
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)  # before xdist turns the xdist_group marks into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `workers` every test whose module starts real Celery workers (`pytest -m workers` selects them).

    Under `pytest -n N --dist loadgroup` the tests of a module that share a module-scoped fixture (a built world of
    attacks, a real worker, a journeys stack) stay in one test process, so the fixture is built once, not once per
    process; tests that already name an xdist group keep it.
    """
    from tests.workers import celery_worker

    for item in items:
        module = getattr(item, "module", None)
        if module is not None and getattr(module, "celery_worker", None) is celery_worker:
            item.add_marker(pytest.mark.workers)
        if item.get_closest_marker("xdist_group") is None and _uses_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(f"module-{item.nodeid.split('::', 1)[0]}"))


def _uses_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        defs and defs[-1].scope in ("module", "package") and defs[-1].baseid.startswith("tests")
        for name, defs in info.name2fixturedefs.items()
        if name in item.fixturenames
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_postgres"):
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/courseweb")
    if item.get_closest_marker("needs_redis"):
        url = os.environ.get("CELERY_BROKER_URL", "")
        if not url.startswith("redis://") or not _reachable("127.0.0.1", 6379):
            skip_or_fail(
                "needs Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 with a Redis server running"
            )


@pytest.fixture
def shared_dir() -> Path:
    """The team's shared/ folder (seeds, compat corpus); tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not present at {SHARED}; this test reads the course seed data")
    return SHARED

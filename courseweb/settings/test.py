"""Tests: fast password hashing, in-memory e-mail, whatever database DATABASE_URL names.

The SQLite test database is a file (not in-memory) so that real Celery worker processes started by the tests
can read and write it; the filesystem broker gets its own folder so tests never talk to `make run`'s worker.
"""

import os
from pathlib import Path

_var = Path(os.environ.get("COURSEWEB_VAR_DIR", Path(__file__).resolve().parents[2] / "var"))
# Under pytest-xdist each test process (and the Celery workers it starts, which inherit PYTEST_XDIST_WORKER) gets
# its own broker: a folder for the filesystem transport, a Redis database number for Redis.
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
os.environ.setdefault("CELERY_FS_BROKER_DIR", str(_var / f"test-broker{_xdist}"))
if (
    _xdist
    and os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")
    and not os.environ.get("COURSEWEB_BROKER_PER_XDIST")  # the workers we start inherit the adjusted URL
):
    os.environ["COURSEWEB_BROKER_PER_XDIST"] = "1"
    _base, _, _db = os.environ["CELERY_BROKER_URL"].rpartition("/")
    if _db.isdigit():
        os.environ["CELERY_BROKER_URL"] = f"{_base}/{int(_db) - 1 - int(_xdist.removeprefix('gw'))}"

from .base import *  # noqa: E402, F403
from .base import DATABASES, STORAGES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # the stored files' backends (base: COURSEWEB_STORAGE)
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
WORKER_HEARTBEAT_INTERVAL = 1

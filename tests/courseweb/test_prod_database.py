"""Production keeps its PostgreSQL connections between requests (with a check before reuse); SQLite is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_DATABASE = (
    "import json, courseweb.settings.prod as s; d = s.DATABASES['default']; "
    "print(json.dumps([d.get('CONN_MAX_AGE'), d.get('CONN_HEALTH_CHECKS', False)]))"
)


def _prod_database(tmp_path: Path, **env: str) -> list:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        cwd=ROOT,
        env={**base, "DJANGO_SECRET_KEY": "x" * 50, "COURSEWEB_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/courseweb"}, [60, True]),
        ({"DATABASE_URL": "postgres://db/courseweb", "DATABASE_CONN_MAX_AGE": "0"}, [0, True]),
        ({}, [None, False]),  # SQLite: one connection per thread anyway
    ],
)
def test_production_keeps_database_connections_with_health_checks(tmp_path, env, expected):
    assert _prod_database(tmp_path, **env) == expected

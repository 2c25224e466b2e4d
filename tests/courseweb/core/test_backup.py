"""`manage.py backup` and `restore`: a round trip brings back every row and every stored file exactly; a damaged
archive or a database that already holds data changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courseweb.accounts.oidc_keys import KEY_FILE
from courseweb.core.backup import database_dump, row_counts
from courseweb.core.demo import demo_build

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_data(settings, tmp_path):
    """The demo course (people, groups, sign-ups, papers, homework, materials) and files in media and var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    demo_build(today=dt.date(2026, 12, 7), grade=False)
    (settings.MEDIA_ROOT / "homework" / "submissions" / "x").mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "homework" / "submissions" / "x" / "hw.ipynb").write_bytes(
        b'{"cells": []}\x00\xff'
    )
    (settings.MEDIA_ROOT / "deep" / "é name with spaces.pdf").parent.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "deep" / "é name with spaces.pdf").write_bytes(b"%PDF-1.7 bytes" * 1000)
    (settings.VAR_DIR / KEY_FILE).write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    # a time below the millisecond, which Django's own JSON dump rounds away
    get_user_model().objects.filter(pk=get_user_model().objects.first().pk).update(
        date_joined=dt.datetime(2026, 9, 1, 8, 0, 0, 123, tzinfo=dt.UTC)
    )
    return tmp_path


def _rows(tmp_path: Path, name: str) -> list:
    out = tmp_path / f"{name}.json"
    database_dump(out)
    return sorted(json.loads(out.read_text()), key=lambda r: (r["model"], json.dumps(r.get("pk"))))


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_round_trip_restores_every_row_and_every_file(site_data, tmp_path):
    rows, files = _rows(tmp_path, "before"), _tree(settings.MEDIA_ROOT)
    key = (settings.VAR_DIR / KEY_FILE).read_bytes()
    assert len(rows) > 50 and len(files) >= 2
    archive = tmp_path / "backups" / "site.tar.gz"
    call_command("backup", str(archive))

    call_command("flush", interactive=False, verbosity=0)  # lose everything
    for path in settings.MEDIA_ROOT.rglob("*"):
        if path.is_file():
            path.write_bytes(b"overwritten")
    (settings.MEDIA_ROOT / "stray-file-not-in-the-backup").write_text("x")
    (settings.VAR_DIR / KEY_FILE).unlink()

    call_command("restore", str(archive))
    assert _rows(tmp_path, "after") == rows
    assert _tree(settings.MEDIA_ROOT) == files
    assert (settings.VAR_DIR / KEY_FILE).read_bytes() == key


def test_restore_refuses_a_database_with_data_unless_forced(site_data, tmp_path):
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive))
    counts = row_counts()
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))
    assert row_counts() == counts
    call_command("restore", str(archive), force=True)
    assert row_counts() == counts


def test_a_damaged_archive_changes_nothing(site_data, tmp_path):
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/media/deep/"):
                data = data[:-1] + b"!"  # one byte of one file
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    call_command("flush", interactive=False, verbosity=0)
    files = _tree(settings.MEDIA_ROOT)
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged))
    assert row_counts()["courses.offering"] == 0 and _tree(settings.MEDIA_ROOT) == files
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("restore", str(truncated))

"""`manage.py import_papers FILE [--format ...]` prints the report and fails clearly on bad input."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courseweb.papers.models import ImportBatch, Paper

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("import_papers", *args, stdout=out)
    return out.getvalue()


def test_command_imports_the_seeds_in_order_with_detection(shared_dir: Path) -> None:
    seeds = shared_dir / "seeds"
    outputs = [
        _run(str(seeds / name))
        for name in ("papers-scholar-profile.txt", "papers-arxiv-listing.txt", "papers-trending.txt")
    ]
    last_lines = [output.strip().splitlines()[-1] for output in outputs]
    assert last_lines == [
        "added: 50, merged: 0, skipped: 0",
        "added: 10, merged: 0, skipped: 0",
        "added: 119, merged: 0, skipped: 0",
    ]
    assert "format: scholar-profile" in outputs[0] and "claims 61 papers" in outputs[0]
    again = _run(str(seeds / "papers-trending.txt"), "--format", "trending")
    assert again.strip().splitlines()[-1] == "added: 0, merged: 119, skipped: 0"
    assert Paper.objects.count() == 179


def test_command_with_explicit_format_and_user(tmp_path: Path) -> None:
    from tests.factories import StaffUserFactory

    user = StaffUserFactory()
    ids = tmp_path / "ids.txt"
    ids.write_text("2507.10890\n10.1287/mksc.1\nnot-an-id\n", encoding="utf-8")
    output = _run(str(ids), "--format", "identifiers", "--user", user.email)
    assert output.strip().endswith("added: 2, merged: 0, skipped: 1")
    assert "skipped line 3: not-an-id (not an arXiv id or a DOI)" in output
    assert ImportBatch.objects.get().imported_by == user


def test_command_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.txt"))
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        _run(str(latin))
    prose = tmp_path / "prose.txt"
    prose.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(CommandError, match="could not tell the format"):
        _run(str(prose))
    with pytest.raises(CommandError):
        _run(str(prose), "--format", "ris")
    assert not Paper.objects.exists()


def test_command_captured_on_sets_the_missing_years(tmp_path: Path) -> None:
    page = tmp_path / "profile.txt"
    abstract = "We study pricing. We prove a bound. We test it on data. " * 4
    page.write_text(f"LGJun 2\nA Paper From June\n\nAda Lovelace\n\n{abstract}\n", encoding="utf-8")
    _run(str(page), "--captured-on", "2027-03-01")
    paper = Paper.objects.get()
    assert paper.date.isoformat() == "2026-06-02" and paper.year_inferred
    assert "year-inferred" in paper.flags

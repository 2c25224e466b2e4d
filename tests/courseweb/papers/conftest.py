"""Fixtures for the paper catalogue tests: the seed paper lists (skipped when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.courseweb.papers.seedtools import seed_text


@pytest.fixture
def scholar_seed(shared_dir: Path) -> str:
    return seed_text(shared_dir, "scholar-profile")


@pytest.fixture
def arxiv_seed(shared_dir: Path) -> str:
    return seed_text(shared_dir, "arxiv-listing")


@pytest.fixture
def trending_seed(shared_dir: Path) -> str:
    return seed_text(shared_dir, "trending")

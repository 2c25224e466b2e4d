"""Score distributions as PNG histograms (matplotlib's Agg backend: no display, no network).

Drawing one costs 150–250 ms of CPU, so each PNG is kept on disk under `GRADEBOOK_PLOT_DIR` (default
`var/plots/`), named by the SHA-256 of exactly what it plots (the sorted scores, the maximum, the title, the
bins and a layout version): a repeat view reads the file and never calls matplotlib, and any change to the
numbers gives a new name, so a stale image is never served.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib
from django.conf import settings

matplotlib.use("Agg")
from matplotlib.figure import Figure

BINS = 10
LAYOUT_VERSION = 1
KEEP_FILES = 2000  # the newest plots kept on disk; older ones are removed when a new one is written


def histogram_png(*, scores: list[float], max_score: float, title: str) -> bytes:
    """A histogram of `scores` on [0, max_score] with the count in each bin; an empty plot says 'no grades yet'."""
    fig = Figure(figsize=(5, 2.6), dpi=100)
    ax = fig.add_subplot()
    top = max_score if max_score > 0 else max(scores or [1.0])
    if scores:
        ax.hist(scores, bins=BINS, range=(0, top), color="#1f4e8c", edgecolor="white")
        ax.set_ylabel("students")
    else:
        ax.text(0.5, 0.5, "no grades yet", ha="center", va="center", transform=ax.transAxes, color="#4a5468")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"points (of {top:g})")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def histogram_key(*, scores: list[float], max_score: float, title: str) -> str:
    """The SHA-256 of the numbers and labels a histogram shows (the order of the scores does not matter)."""
    data = {
        "v": LAYOUT_VERSION,
        "bins": BINS,
        "max": round(float(max_score), 6),
        "title": title,
        "scores": sorted(round(float(s), 6) for s in scores),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def plot_dir() -> Path:
    return Path(getattr(settings, "GRADEBOOK_PLOT_DIR", None) or Path(settings.VAR_DIR) / "plots")


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        old.unlink(missing_ok=True)


def png_cached(*, key: str, draw: Callable[[], bytes]) -> tuple[bytes, str]:
    """(PNG, key): the plot folder's file named `key` when it was drawn before, else `draw()` once, stored."""
    folder = plot_dir()
    path = folder / f"{key}.png"
    try:
        return path.read_bytes(), key
    except FileNotFoundError:
        pass
    png = draw()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(png)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    _prune(folder)
    return png, key


def histogram_cached(*, scores: list[float], max_score: float, title: str) -> tuple[bytes, str]:
    """(PNG, key): read from the plot folder when these exact numbers were drawn before, else drawn once."""
    return png_cached(
        key=histogram_key(scores=scores, max_score=max_score, title=title),
        draw=lambda: histogram_png(scores=scores, max_score=max_score, title=title),
    )

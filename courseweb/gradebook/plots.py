"""Score distributions as PNG histograms (matplotlib's Agg backend: no display, no network)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

BINS = 10


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

"""A student's perceived contribution across items as a PNG line plot, cached on disk like the gradebook's
histograms (named by the SHA-256 of what it plots; a repeat view never calls matplotlib)."""

from __future__ import annotations

import hashlib
import io
import json

import matplotlib

from courseweb.gradebook.plots import png_cached

matplotlib.use("Agg")
from matplotlib.figure import Figure

LAYOUT_VERSION = 1


def history_key(*, labels: list[str], values: list[float | None], title: str) -> str:
    data = {"v": LAYOUT_VERSION, "kind": "peer-history", "labels": labels, "values": values, "title": title}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def history_png(*, labels: list[str], values: list[float | None], title: str) -> bytes:
    fig = Figure(figsize=(6, 2.8), dpi=100)
    ax = fig.add_subplot()
    xs = [n for n, v in enumerate(values) if v is not None]
    ys = [v for v in values if v is not None]
    ax.axhline(100, color="#8a94a6", linestyle="--", linewidth=1)
    if ys:
        ax.plot(xs, ys, marker="o", color="#1f4e8c")
    else:
        ax.text(0.5, 0.5, "no ratings yet", ha="center", va="center", transform=ax.transAxes, color="#4a5468")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 200)
    ax.set_ylabel("perceived (100 = equal)")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def history_cached(*, labels: list[str], values: list[float | None], title: str) -> tuple[bytes, str]:
    return png_cached(
        key=history_key(labels=labels, values=values, title=title),
        draw=lambda: history_png(labels=labels, values=values, title=title),
    )

"""Test helpers: cut the seed paper lists into their records and build mutated copies of them.

The mutated copies (records removed, reordered, renamed) check that the importers follow the formats'
structure rather than the seed files' lengths or line numbers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

SEED_NAMES = {
    "scholar-profile": "papers-scholar-profile.txt",
    "arxiv-listing": "papers-arxiv-listing.txt",
    "trending": "papers-trending.txt",
}
_META_RE = re.compile(
    r"^(\d{1,3}\.\d)?[A-Z]{2}(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(, \d{4})?$"
)
_ID_RE = re.compile(r"arXiv:(\d{4}\.\d{4,5})")


def seed_text(shared_dir: Path, fmt: str) -> str:
    return (shared_dir / "seeds" / SEED_NAMES[fmt]).read_text(encoding="utf-8")


@dataclass
class Split:
    header: list[str]
    records: list[list[str]]


def split_scholar(text: str) -> Split:
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _META_RE.match(line)]
    records = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        records.append(chunk)
    return Split(header=lines[: starts[0]], records=records)


def join_scholar(split: Split) -> str:
    return "\n".join(split.header + [line for record in split.records for line in [*record, ""]]).rstrip("\n")


def rename_scholar(record: list[str], new_title: str) -> list[str]:
    return [record[0], new_title, *record[2:]]


def split_arxiv(text: str) -> list[tuple[str, str]]:
    """(text before the id, id) pairs in order."""
    pairs, pos = [], 0
    for match in _ID_RE.finditer(text):
        pairs.append((text[pos : match.start()].strip("\n"), match.group(1)))
        pos = match.end()
    return pairs


def join_arxiv(pairs: list[tuple[str, str]]) -> str:
    """Glue each id onto the next record's text, as the copied listing does."""
    out = ""
    for body, arxiv_id in pairs:
        out += body + "\n" + f"arXiv:{arxiv_id}"
    return out


def split_trending(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    lines = [line for line in text.split("\n") if line.strip()]
    header = lines[:2]
    content = [lines[2].removeprefix("Subscribe"), *lines[3:]]
    return header, [(content[i], content[i + 1]) for i in range(0, len(content), 2)]


def join_trending(header: list[str], pairs: list[tuple[str, str]]) -> str:
    lines = list(header)
    for n, (title, abstract) in enumerate(pairs):
        lines += [("Subscribe" if n == 0 else "") + title, abstract]
    return "\n".join(lines)


def mutate(items: list, *, seed: int, drop: int) -> list:
    """A shuffled copy of items with `drop` of them removed."""
    rng = random.Random(seed)
    kept = rng.sample(items, len(items) - drop)
    rng.shuffle(kept)
    return kept

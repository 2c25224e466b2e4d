"""The demo course's own notes (`lecture_notes/demo/session-NN.md`): Markdown with math and a small header.

Each file starts with a `---` block of `key: value` lines (`session`, `title`) followed by the note itself,
rendered by the same Markdown renderer as students' submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEMO_DIR = Path(__file__).with_name("demo")


@dataclass(frozen=True)
class DemoNote:
    session: int
    title: str
    markdown: str
    path: Path


def parse_demo_note(text: str, *, path: Path) -> DemoNote:
    header: dict[str, str] = {}
    body = text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        for line in text[4:end].splitlines():
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
        body = text[end + 5 :]
    if "session" not in header:
        raise ValueError(f"{path}: the header needs a `session:` line")
    return DemoNote(
        session=int(header["session"]), title=header.get("title", ""), markdown=body.lstrip(), path=path
    )


def demo_notes(*, directory: Path = DEMO_DIR) -> list[DemoNote]:
    """The demo notes, ordered by session."""
    notes = [parse_demo_note(p.read_text(encoding="utf-8"), path=p) for p in sorted(directory.glob("*.md"))]
    return sorted(notes, key=lambda n: n.session)

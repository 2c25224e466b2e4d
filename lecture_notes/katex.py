"""Render TeX to HTML offline with KaTeX, through one persistent Node child process.

Every page of the site that shows math (the notes book, paper abstracts, homework feedback) goes through this
module; it never imports Django.  A Node process runs `katex_worker.js` and renders batches of formulas sent
as JSON lines, so hundreds of formulas cost one round trip instead of one process each.

Public API (all keyword-only past the first argument):

- `render_tex(tex, display=False, throw_on_error=False) -> str`
- `render_tex_many([(tex, display), ...], throw_on_error=False) -> list[str]`
- `render_text_with_math(text) -> str`: escapes `text` as HTML and renders its `$...$`, `$$...$$`, `\\(...\\)`
  and `\\[...\\]` segments (see `split_math` for the delimiter rules).
- `katex_errors(items) -> list[KatexError]`: renders with errors thrown and returns them, to count errors.
- `render_tex_checked(items) -> (html list, errors)`: both at once (what the notes renderer uses).

Errors: with `throw_on_error=True` a formula KaTeX cannot parse raises `KatexError`; otherwise KaTeX's own
red `katex-error` span is returned.  `KatexUnavailable` means Node or the katex package cannot be found.

Locating KaTeX: the environment variable `KATEX_DIR` (the katex package directory) wins; else `NODE_PATH`
(Node's module search path) if set; else the nearest `node_modules/katex` above this package.  The Node
executable is `KATEX_NODE` if set, else `node` on PATH.  `KATEX_TIMEOUT` (seconds, default 60) bounds a batch.
"""

from __future__ import annotations

import atexit
import html
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lecture_notes.mathsplit import Segment, split_math

__all__ = [
    "KatexError",
    "KatexUnavailable",
    "Segment",
    "katex_errors",
    "render_tex",
    "render_tex_checked",
    "render_tex_many",
    "render_text_with_math",
    "split_math",
]

WORKER_SCRIPT = Path(__file__).with_name("katex_worker.js")
BATCH_SIZE = 400
CACHE_SIZE = 4096

ERROR_NO_NODE = "Node.js is not installed (set KATEX_NODE or put `node` on PATH)."
ERROR_NO_KATEX = "The katex package was not found (set KATEX_DIR, NODE_PATH, or run `npm ci`)."
ERROR_WORKER_DIED = "The KaTeX worker process stopped: {detail}"
ERROR_WORKER_TIMEOUT = "The KaTeX worker did not answer within {seconds} s."


class KatexUnavailable(RuntimeError):
    """Node or KaTeX cannot be started, or the worker died."""


class KatexError(ValueError):
    """KaTeX could not parse a formula (only raised or returned when errors are thrown)."""

    def __init__(self, message: str, *, tex: str, display: bool, index: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.tex = tex
        self.display = display
        self.index = index


def _find_katex_dir() -> Path | None:
    explicit = os.environ.get("KATEX_DIR")
    if explicit:
        return Path(explicit)
    if os.environ.get("NODE_PATH"):
        return None  # Node resolves `katex` through NODE_PATH itself.
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules" / "katex"
        if (candidate / "package.json").is_file():
            return candidate
    raise KatexUnavailable(ERROR_NO_KATEX)


class KatexRenderer:
    """One Node child process rendering batches; thread-safe; restarts itself after a crash or a fork."""

    def __init__(self, *, timeout: float | None = None) -> None:
        self.timeout = timeout if timeout is not None else float(os.environ.get("KATEX_TIMEOUT", "60"))
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._pid = os.getpid()
        self._stderr: Any = None
        self.version: str | None = None

    def _start(self) -> None:
        node = os.environ.get("KATEX_NODE") or shutil.which("node")
        if not node:
            raise KatexUnavailable(ERROR_NO_NODE)
        env = dict(os.environ)
        katex_dir = _find_katex_dir()
        if katex_dir is not None:
            env["KATEX_DIR"] = str(katex_dir)
        # stderr goes to a file, not a pipe, so a chatty worker can never block on a full pipe.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - lives with the worker
        self._proc = subprocess.Popen(
            [node, str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            env=env,
            bufsize=1,
        )
        self._pid = os.getpid()
        self._lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self._proc, self._lines), daemon=True).start()
        hello = self._read_line()
        self.version = json.loads(hello).get("ready")

    @staticmethod
    def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _read_line(self) -> str:
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self._kill()
            raise KatexUnavailable(ERROR_WORKER_TIMEOUT.format(seconds=self.timeout)) from None
        if line is None:
            detail = ""
            if self._proc is not None and self._stderr is not None:
                self._proc.wait(timeout=5)
                self._stderr.seek(0)
                detail = self._stderr.read().strip()[-2000:]
            self._proc = None
            if "Cannot find module" in detail:
                raise KatexUnavailable(ERROR_NO_KATEX + " " + detail)
            raise KatexUnavailable(ERROR_WORKER_DIED.format(detail=detail or "no output"))
        return line

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=5)
            self._proc = None

    def close(self) -> None:
        """Stop the Node process (it is started again on the next render)."""
        with self._lock:
            if self._proc is not None and self._pid == os.getpid():
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
            self._proc = None

    def render_batch(
        self, items: Sequence[tuple[str, bool]], *, throw_on_error: bool
    ) -> list[dict[str, Any]]:
        """Render `items`; each result is `{"html": ...}` or `{"error": ...}`."""
        results: list[dict[str, Any]] = []
        with self._lock:
            for start in range(0, len(items), BATCH_SIZE):
                chunk = [[str(tex), bool(display)] for tex, display in items[start : start + BATCH_SIZE]]
                results.extend(self._round_trip(chunk, throw_on_error=throw_on_error))
        return results

    def _round_trip(self, chunk: list[list[Any]], *, throw_on_error: bool) -> list[dict[str, Any]]:
        for attempt in (1, 2):
            if self._proc is None or self._pid != os.getpid() or self._proc.poll() is not None:
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps({"items": chunk, "throwOnError": throw_on_error}) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self._proc = None
                if attempt == 2:
                    raise
                continue
            reply = json.loads(self._read_line())
            if "fatal" in reply:
                raise KatexUnavailable(ERROR_WORKER_DIED.format(detail=reply["fatal"]))
            return reply["results"]
        raise KatexUnavailable(ERROR_WORKER_DIED.format(detail="could not write to the worker"))


_renderer = KatexRenderer()
atexit.register(_renderer.close)
_cache: OrderedDict[tuple[str, bool, bool], str] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[str, bool, bool]) -> str | None:
    with _cache_lock:
        value = _cache.get(key)
        if value is not None:
            _cache.move_to_end(key)
        return value


def _remember(key: tuple[str, bool, bool], value: str) -> None:
    with _cache_lock:
        _cache[key] = value
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def render_tex_many(items: Sequence[tuple[str, bool]], *, throw_on_error: bool = False) -> list[str]:
    """Render many `(tex, display)` pairs in one round trip; raises the first `KatexError` if asked to."""
    out: list[str | None] = []
    missing: list[int] = []
    for i, (tex, display) in enumerate(items):
        hit = _cached((tex, bool(display), throw_on_error))
        out.append(hit)
        if hit is None:
            missing.append(i)
    if missing:
        results = _renderer.render_batch([items[i] for i in missing], throw_on_error=throw_on_error)
        for i, result in zip(missing, results, strict=True):
            tex, display = items[i]
            if "error" in result:
                raise KatexError(result["error"], tex=tex, display=bool(display), index=i)
            out[i] = result["html"]
            _remember((tex, bool(display), throw_on_error), result["html"])
    return [value or "" for value in out]


def render_tex(tex: str, *, display: bool = False, throw_on_error: bool = False) -> str:
    """Render one formula to HTML (KaTeX markup with MathML for screen readers)."""
    return render_tex_many([(tex, display)], throw_on_error=throw_on_error)[0]


def katex_errors(items: Sequence[tuple[str, bool]]) -> list[KatexError]:
    """Render with errors thrown and return every error (empty when all formulas parse)."""
    results = _renderer.render_batch(list(items), throw_on_error=True)
    return [
        KatexError(result["error"], tex=tex, display=bool(display), index=i)
        for i, ((tex, display), result) in enumerate(zip(items, results, strict=True))
        if "error" in result
    ]


def render_tex_checked(items: Sequence[tuple[str, bool]]) -> tuple[list[str], list[KatexError]]:
    """Render every formula and report the ones KaTeX cannot parse, in one pass over the good ones.

    Returns the HTML of each item (KaTeX's red error text for the bad ones) and the errors, so a caller can
    show a page and count its math errors without rendering everything twice.
    """
    results = _renderer.render_batch(list(items), throw_on_error=True)
    errors = [
        KatexError(result["error"], tex=tex, display=bool(display), index=i)
        for i, ((tex, display), result) in enumerate(zip(items, results, strict=True))
        if "error" in result
    ]
    html_out = [result.get("html", "") for result in results]
    if errors:
        fallback = render_tex_many([(e.tex, e.display) for e in errors], throw_on_error=False)
        for err, rendered in zip(errors, fallback, strict=True):
            html_out[err.index] = rendered
    return html_out, errors


def render_text_with_math(text: str, *, throw_on_error: bool = False) -> str:
    """Escape `text` as HTML and replace its math segments by rendered KaTeX."""
    segments = split_math(text)
    math = [(seg.text, seg.kind == "display") for seg in segments if seg.kind != "text"]
    rendered = iter(render_tex_many(math, throw_on_error=throw_on_error) if math else [])
    return "".join(html.escape(seg.text) if seg.kind == "text" else next(rendered) for seg in segments)

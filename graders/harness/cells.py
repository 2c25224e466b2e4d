"""Run one cell's code in a namespace and collect nbformat outputs, with size caps.

Student cells run through IPython's input transformer (so magics work) and ``exec``; the value of a final
expression becomes an ``execute_result``, formatted by IPython. Printed text, ``display()`` calls and errors
are collected into an :class:`OutputSink` that stops storing (but keeps counting) after its byte cap.
"""

from __future__ import annotations

import ast
import io
import json
import linecache
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import CodeType

    from IPython.core.displaypub import DisplayPublisher

# `Any` here is a value a cell computed or an nbformat output's JSON; the IPython shell is passed as `Any`
# (its methods have no annotations).
HARNESS_PREFIX = "<grader_harness"
NO_VALUE = object()


class OutputSink:
    """nbformat outputs of one cell; text beyond ``cap`` bytes is counted and dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.outputs: list[dict[str, Any]] = []
        self.size = 0
        self.dropped = 0
        self.stderr_written = False

    def _room(self, size: int) -> bool:
        if self.size + size > self.cap:
            if not self.dropped:
                self.outputs.append(
                    {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": f"\n[output truncated at {self.cap} bytes]\n",
                    }
                )
            self.dropped += size
            return False
        self.size += size
        return True

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        if name == "stderr":
            self.stderr_written = True
        size = len(text.encode("utf-8", "replace"))
        if not self._room(size):
            remaining = self.cap - self.size
            if remaining <= 0:
                return
            text = text[:remaining]
            self.size = self.cap
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output: dict[str, Any]) -> None:
        try:
            size = len(json.dumps(output, default=str))
        except (TypeError, ValueError):
            return
        if self._room(size):
            self.outputs.append(output)

    def clear(self) -> None:
        self.outputs = [o for o in self.outputs if o.get("output_type") == "error"]
        self.size = 0


class Stream(io.TextIOBase):
    """A ``sys.stdout``/``sys.stderr`` replacement that writes into the current sink."""

    def __init__(self, holder: dict[str, OutputSink], name: str) -> None:
        super().__init__()
        self._holder = holder
        self._name = name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._holder["sink"].stream(self._name, text)
        return len(text)

    def flush(self) -> None:
        return None


def make_publisher(shell: Any, holder: dict[str, OutputSink]) -> DisplayPublisher:
    """An IPython display publisher that records ``display()`` calls into the current sink."""
    from IPython.core.displaypub import DisplayPublisher

    class SinkPublisher(DisplayPublisher):
        def publish(self, data: Any, metadata: Any = None, source: Any = None, **kwargs: Any) -> None:
            holder["sink"].add(
                {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
            )

        def clear_output(self, wait: bool = False) -> None:
            holder["sink"].clear()

    # IPython's DisplayPublisher.__init__ has no annotations (its package is marked typed).
    return SinkPublisher(shell=shell, parent=shell)  # type: ignore[no-untyped-call]


def compile_cell(
    shell: Any, source: str, *, filename: str, transformer: ast.NodeTransformer | None = None
) -> tuple[CodeType, CodeType | None]:
    """Compile a cell into (body code, final-expression code or None)."""
    text = shell.transform_cell(source) if shell is not None else source
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    tree = ast.parse(text, filename=filename, mode="exec")
    last: ast.expr | None = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr):
        tree.body.pop()
        last = final.value
    if transformer is not None:
        tree = ast.fix_missing_locations(transformer.visit(tree))
        if last is not None:
            last = ast.fix_missing_locations(transformer.visit(ast.Expression(last))).body
    body = compile(tree, filename, "exec", dont_inherit=True)
    tail = None
    if last is not None:
        tail = compile(ast.fix_missing_locations(ast.Expression(last)), filename, "eval", dont_inherit=True)
    return body, tail


def error_output(exc: BaseException) -> dict[str, Any]:
    """An nbformat error output without the harness's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(HARNESS_PREFIX):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    text = "".join(lines)
    return {
        "output_type": "error",
        "ename": type(exc).__name__,
        "evalue": _short(exc),
        "traceback": text.rstrip("\n").split("\n"),
    }


def _short(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:  # an exception whose __str__ fails
        return ""


def run_code(body: CodeType, tail: CodeType | None, namespace: dict[str, Any]) -> Any:
    """Execute compiled cell code; return the final expression's value (any object) or ``NO_VALUE``."""
    exec(body, namespace)  # noqa: S102 - running notebook code is the point
    if tail is None:
        return NO_VALUE
    return eval(tail, namespace)  # noqa: S307

"""Per-assignment resource limits, read from the ``[limits]`` table of ``assignment.toml``.

Only ``[limits]`` is the engine's business; other tables (``[course]`` for the site) are ignored.
Unknown keys in ``[limits]`` are rejected so that a typo does not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
ERR_UNKNOWN_LIMIT = "assignment.toml [limits]: unknown key(s) {keys}"
ERR_BAD_LIMIT = "assignment.toml [limits]: {key} must be a positive number, got {value!r}"


@dataclass(frozen=True)
class Limits:
    """Limits for grading one submission (wall times in seconds, sizes in bytes)."""

    cell_timeout_s: float = 30.0
    total_timeout_s: float = 300.0
    memory_mb: int = 2048
    max_processes: int = 256
    output_cell_bytes: int = 1 * MIB
    output_total_bytes: int = 16 * MIB
    file_size_mb: int = 512
    scratch_mb: int = 1024
    cpu_time_s: float | None = None

    @property
    def cpu_limit_s(self) -> int:
        """CPU seconds for the whole submission: explicit, or the wall budget (CPU can't beat wall time)."""
        return int(self.cpu_time_s if self.cpu_time_s is not None else self.total_timeout_s) + 5


_FIELDS = {f.name: f for f in dataclasses.fields(Limits)}


def limits_from_mapping(table: dict[str, object]) -> Limits:
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ValueError(ERR_UNKNOWN_LIMIT.format(keys=", ".join(unknown)))
    values: dict[str, object] = {}
    for key, raw in table.items():
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
            raise ValueError(ERR_BAD_LIMIT.format(key=key, value=raw))
        is_int = _FIELDS[key].type in ("int", int)
        values[key] = int(raw) if is_int else float(raw)
    return Limits(**values)  # type: ignore[arg-type]


def load_limits(*, source: Path) -> Limits:
    """The limits of the assignment in ``source`` (defaults when there is no assignment.toml)."""
    path = Path(source) / "assignment.toml"
    if not path.is_file():
        return Limits()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    table = data.get("limits", {})
    if not isinstance(table, dict):
        raise ValueError(ERR_BAD_LIMIT.format(key="limits", value=table))
    return limits_from_mapping(table)

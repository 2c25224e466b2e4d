"""What the notebook process S and the tester T use of the zygote's state, as a type.

S (:mod:`.runner`) and T (:mod:`.tester`) are forked from the zygote and read its :class:`~.zygote.Harness`;
they name it through this protocol so that neither imports the zygote, which imports them.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import cells, guard


class Shared(Protocol):
    key: bytes  # the control channel's key (T writes its verdict with it)
    uid: int | None  # the slot's uid, None where the sandbox cannot switch uids
    workdir: str
    shell: Any  # IPython's InteractiveShell (IPython ships no types)
    base_ns: dict[str, Any]  # the shell's namespace before any cell ran
    snapshot: guard.Snapshot | None
    holder: dict[str, cells.OutputSink]
    events_fd: int
    events_key: bytes

    def prctl(self, option: int, value: int) -> None: ...

"""Return a slot to a fresh state between two submissions: scratch folders and SysV IPC objects.

Runs inside the sandbox in a short-lived child with the slot's uid, after every process of that uid is killed,
so nothing changes the trees while they are removed. The wipe is iterative (a stack of names, one open directory
at a time, relative to its parent), so no depth, path length, name (newlines, bytes that are not UTF-8) or mode
(directories of mode 000, read-only directories) stops it; what it cannot remove is reported, and the host then
destroys the slot instead of reusing it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
IPC_RMID = 0
SYSVIPC = ("shm", "sem", "msg")
MAX_PROBLEMS = 20


class _Level:
    __slots__ = ("failed", "name", "pending")

    def __init__(self, name: str, pending: list[str], failed: bool) -> None:
        self.name, self.pending, self.failed = name, pending, failed


def _scan(fd: int, problems: list[str]) -> tuple[list[str], bool]:
    """Unlink the non-directories in ``fd``; return its subdirectories and whether something was left."""
    subdirs: list[str] = []
    failed = False
    try:
        with os.scandir(fd) as entries:
            listed = list(entries)
    except OSError as exc:
        problems.append(f"cannot list a folder: {exc.strerror}")
        return [], True
    for entry in listed:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            subdirs.append(entry.name)
            continue
        try:
            os.unlink(entry.name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            failed = True
            problems.append(f"cannot remove {entry.name!r}: {exc.strerror}")
    return subdirs, failed


def empty_tree(root: str) -> list[str]:
    """Remove everything inside ``root`` (but not ``root`` itself); return the problems, none when empty."""
    problems: list[str] = []
    try:
        fd = os.open(root, OPEN_DIR)
    except OSError as exc:
        return [f"cannot open {root}: {exc.strerror}"]
    pending, failed = _scan(fd, problems)
    levels = [_Level(root, pending, failed)]
    while True:
        level = levels[-1]
        if level.pending:
            child = level.pending.pop()
            with contextlib.suppress(OSError):  # a directory of mode 000 or 0500 of the slot's uid
                os.chmod(child, 0o700, dir_fd=fd)
            try:
                child_fd = os.open(child, OPEN_DIR, dir_fd=fd)
            except OSError as exc:
                level.failed = True
                problems.append(f"cannot open {child!r}: {exc.strerror}")
                continue
            os.close(fd)
            fd = child_fd
            pending, failed = _scan(fd, problems)
            levels.append(_Level(child, pending, failed))
            continue
        levels.pop()
        if not levels:
            break
        parent_fd = os.open("..", OPEN_DIR, dir_fd=fd)
        os.close(fd)
        fd = parent_fd
        if level.failed:
            levels[-1].failed = True
            continue
        try:
            os.rmdir(level.name, dir_fd=fd)
        except OSError as exc:
            levels[-1].failed = True
            problems.append(f"cannot remove the folder {level.name!r}: {exc.strerror}")
    os.close(fd)
    try:
        left = os.listdir(root)
    except OSError as exc:
        return [*problems, f"cannot list {root}: {exc.strerror}"][:MAX_PROBLEMS]
    if left and not problems:
        problems.append(f"{len(left)} entries left in {root}")
    return problems[:MAX_PROBLEMS]


def sysv_ipc_ids() -> dict[str, list[int]]:
    """The ids of the SysV shared memory segments, semaphore sets and message queues of this IPC namespace."""
    found: dict[str, list[int]] = {}
    for kind in SYSVIPC:
        with open(f"/proc/sysvipc/{kind}") as fh:
            rows = fh.read().splitlines()[1:]
        found[kind] = [int(row.split()[1]) for row in rows if row.strip()]
    return found


def remove_sysv_ipc() -> list[str]:
    """Remove every SysV IPC object (as the slot's uid: it created them) and check that none is left."""
    libc = ctypes.CDLL(None, use_errno=True)
    remove = {
        "shm": lambda ident: libc.shmctl(ident, IPC_RMID, None),
        "sem": lambda ident: libc.semctl(ident, 0, IPC_RMID),
        "msg": lambda ident: libc.msgctl(ident, IPC_RMID, None),
    }
    for kind, ids in sysv_ipc_ids().items():
        for ident in ids:
            remove[kind](ident)
    left = {kind: ids for kind, ids in sysv_ipc_ids().items() if ids}
    return [f"SysV {kind} objects left: {ids}" for kind, ids in left.items()]

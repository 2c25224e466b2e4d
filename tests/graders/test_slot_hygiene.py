"""A warm slot between two students: nothing of one submission may reach the next one on the same slot.

Each test grades an attacking submission and then an honest probe on the same warm slot (the session's light pool
holds one slot). The probe's ``answer()`` returns 42 only when the slot looks fresh, so its hidden test passing
is what proves the slot was cleaned. The user-namespace test checks the seccomp filter bubblewrap installs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders import autograde, sandbox
from graders.engine import Pool

from .test_sandbox import make_assignment, submit

SYSV_ATTACK = """import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
IDS = [libc.shmget(0, 64 * 1024 * 1024, IPC_CREAT | 0o600), libc.shmget(4242, 4096, IPC_CREAT | 0o666),
       libc.semget(0, 4, IPC_CREAT | 0o600), libc.msgget(0, IPC_CREAT | 0o600), libc.msgget(77, IPC_CREAT | 0o600)]
libc.shmat.restype = ctypes.c_void_p
addr = libc.shmat(IDS[0], None, 0)
ctypes.memset(addr, 1, 64 * 1024 * 1024)  # touch the pages: they stay charged to the slot's memory cgroup
def answer():
    return 42 if min(IDS) >= 0 else -1
"""
SYSV_PROBE = """LEFT = []
for kind in ("shm", "sem", "msg"):
    with open(f"/proc/sysvipc/{kind}") as fh:
        LEFT += fh.read().splitlines()[1:]
print(LEFT)
def answer():
    return 42 if not LEFT else len(LEFT)
"""
SHM_HOG = """import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
SIZE = 300 * 1024 * 1024
ID = libc.shmget(0, SIZE, 0o1000 | 0o600)
ctypes.memset(libc.shmat(ID, None, 0), 1, SIZE)  # charged to the slot's memory cgroup while the segment lives
def answer():
    return 42 if ID >= 0 else -1
"""
MEMORY_HEAVY = """def answer():
    blob = b"\\x01" * (200 * 1024 * 1024)  # within the assignment's 256 MB
    return 42 if len(blob) == 200 * 1024 * 1024 else -1
"""
FILES_ATTACK = r"""import os
for path in ("/home/grader/.leftover", "/home/grader/notes.txt", "/tmp/marker", "/dev/shm/marker"):
    open(path, "w").write("previous student")
os.makedirs("/home/grader/.cache/x", exist_ok=True)
open("/home/grader/.cache/x/answers.csv", "w").write("1,2,3")
here = os.getcwd()
os.mkdir("/tmp/deep")
os.chdir("/tmp/deep")
for _ in range(2200):  # deeper than Python's recursion limit and than PATH_MAX
    os.mkdir("d")
    os.chdir("d")
open("bottom", "w").write("x")
os.chdir(here)
os.mkdir(b"/tmp/odd\nname\xff\xfe")
open(b"/tmp/odd\nname\xff\xfe/\x80file", "w").write("x")
os.makedirs("/tmp/locked/inner")
open("/tmp/locked/inner/f", "w").write("x")
os.chmod("/tmp/locked/inner", 0)
os.chmod("/tmp/locked", 0)
os.mkdir("/dev/shm/ro")
open("/dev/shm/ro/f", "w").write("x")
os.chmod("/dev/shm/ro", 0o500)
def answer():
    return 42
"""
FILES_PROBE = """import os
SEEN = {d: sorted(os.listdir(d)) for d in ("/home/grader", "/tmp", "/dev/shm")}
print(SEEN)
def answer():
    return 42 if SEEN == {"/home/grader": ["work"], "/tmp": [], "/dev/shm": []} else -1
"""
USERNS_PROBE = """import ctypes, errno, os, subprocess, sys, threading, multiprocessing
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
SIGCHLD = 17
SEEN = {}
SEEN["unshare_cmd"] = subprocess.run(["unshare", "-U", "-r", "true"], capture_output=True).returncode
rc = libc.unshare(CLONE_NEWUSER)
SEEN["unshare"] = (rc, ctypes.get_errno())
pid = libc.syscall(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)  # clone(2) on x86_64, fork-like
if pid == 0:
    os._exit(0)
if pid > 0:
    os.waitpid(pid, 0)
SEEN["clone"] = (min(pid, 0), ctypes.get_errno() if pid < 0 else 0)
SEEN["clone3"] = (libc.syscall(435, None, 0), ctypes.get_errno())
SEEN["setns"] = (libc.setns(-1, CLONE_NEWUSER), ctypes.get_errno())
box = []
t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join()
SEEN["thread"] = box == [1]
SEEN["subprocess"] = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True).stdout.strip()
with multiprocessing.get_context("fork").Pool(2) as p:
    SEEN["pool"] = p.map(abs, [-1, -2])
print(SEEN)
EXPECTED = {"unshare": (-1, errno.EPERM), "clone": (-1, errno.EPERM), "clone3": (-1, errno.ENOSYS),
            "setns": (-1, errno.EPERM), "thread": True, "subprocess": b"42", "pool": [1, 2]}
def answer():
    ok = SEEN["unshare_cmd"] != 0 and all(SEEN[k] == v for k, v in EXPECTED.items())
    return 42 if ok else -1
"""


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_assignment(tmp_path_factory.mktemp("hygiene"))


def score(source: Path, code: str, pool: Pool, tmp_path: Path, name: str) -> float:
    """The probe's score; what the notebook printed goes to the test's output (shown when it fails)."""
    result = autograde(source, submit(tmp_path, source, code, name=name), pool=pool)
    assert result.sandbox.startswith("bwrap"), result.sandbox
    assert result.error is None, result.error
    cells = result.notebooks["hw"].feedback_notebook["cells"]
    print(name, [o.get("text") or o.get("evalue") for c in cells for o in c.get("outputs", [])])
    return result.notebooks["hw"].cells["test_answer"].score


def test_sysv_ipc_objects_do_not_survive_into_the_next_submission(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    assert score(assignment, SYSV_ATTACK, light_pool, tmp_path, "attack") == 1.0  # they were created
    assert score(assignment, SYSV_PROBE, light_pool, tmp_path, "probe") == 1.0


def test_shared_memory_left_behind_does_not_kill_the_next_memory_heavy_test(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    assert score(assignment, SHM_HOG, light_pool, tmp_path, "hog") == 1.0
    (slot,) = light_pool._idle
    if slot.cgroup is None or not slot.cgroup.memory_limited():
        pytest.skip("no writable memory cgroup here: the slot's memory is limited by RLIMIT_AS only")
    result = autograde(assignment, submit(tmp_path, assignment, MEMORY_HEAVY, name="honest"), pool=light_pool)
    assert not any("memory" in flag for flag in result.flags), result.flags
    assert result.notebooks["hw"].cells["test_answer"].score == 1.0


def test_files_outside_the_work_folder_and_undeletable_trees_are_wiped(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    assert score(assignment, FILES_ATTACK, light_pool, tmp_path, "attack") == 1.0
    assert score(assignment, FILES_PROBE, light_pool, tmp_path, "probe") == 1.0


def test_a_slot_that_cannot_be_cleaned_is_rebuilt(assignment: Path, light_pool: Pool, tmp_path: Path) -> None:
    assert score(assignment, "def answer():\n    return 42\n", light_pool, tmp_path, "first") == 1.0
    (slot,) = light_pool._idle
    assert slot.proc is not None
    zygote = sandbox.descendants(slot.proc.pid)[0]
    before = slot.proc.pid
    # a file the slot's uid cannot delete (root's, in the sticky /tmp): the wipe cannot prove the slot clean
    stuck = Path(f"/proc/{zygote}/root/tmp/stuck")
    stuck.write_text("x")
    os.chmod(stuck, 0o600)
    assert score(assignment, FILES_PROBE, light_pool, tmp_path, "probe") == 1.0
    (slot,) = light_pool._idle
    assert slot.proc is not None and slot.proc.pid != before  # a new sandbox, new zygote
    assert slot.rebuilds >= 1


def test_user_namespaces_are_denied_inside_the_sandbox(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    assert score(assignment, USERNS_PROBE, light_pool, tmp_path, "userns") == 1.0

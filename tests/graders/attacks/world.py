"""The machine around one run of the adversarial suite: the corpus with fresh tokens, and the things to steal.

`build_world` writes every assignment and submission under one folder, starts a TCP server on all addresses and a
unix-socket server that answer with a token and count connections, stores a Redis key, writes a canary SQLite
database and another student's submission, and lists the canary paths the escape attack tries to write.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import escape, harness
from .cases import AttackCase

CANARY_DIRS = ["/tmp", "/var/tmp", "/dev/shm", "/root", "/work"]


@dataclass
class World:
    corpus: harness.Corpus
    tcp: harness.Listener
    unix: harness.Listener
    redis_set: bool
    canary_targets: list[Path]

    def close(self) -> None:
        self.tcp.close()
        self.unix.close()
        for path in self.canary_targets:
            path.unlink(missing_ok=True)  # only there if a broken engine let the attack write it


def build_world(*, root: Path, cases: Sequence[AttackCase]) -> World:
    site = root / "site"
    other = root / "submitted" / "other_student" / "escape" / "escape.ipynb"
    values = {
        "ENV_SECRET": harness.token("canary"),
        "HIDDEN_TOKEN": harness.token("hidden"),
        "REPO_TOKEN": hashlib.sha256((harness.REPO / "pyproject.toml").read_bytes()).hexdigest()[:32],
        "DB_TOKEN": harness.token("dbrow"),
        "OTHER_TOKEN": harness.token("othersub"),
        "NET_TOKEN": harness.token("net"),
        "REDIS_TOKEN": harness.token("redis"),
        "REDIS_KEY": harness.token("attack"),
        "SEED": str(secrets.randbelow(10**6)),
        "FLAVOUR": harness.token("flavour"),
        "CANARY_FILE": harness.token("escape-canary"),
        "REPO": str(harness.REPO),
        "SITE": str(site),
        "TMP_ROOT": str(root),
        "SUBMITTED": str(root / "submitted"),
        "OTHER": str(other),
        "HOST_IP": harness.host_address(),
        "UNIX_SOCKET": str(root / "site.sock"),
        "SOURCE": str(root / "source" / escape.ASSIGNMENT.name),
    }
    tcp = harness.tcp_listener(reply=values["NET_TOKEN"])
    values["PORT"] = str(tcp.sock.getsockname()[1])
    unix = harness.unix_listener(root / "site.sock", reply=values["NET_TOKEN"])
    harness.canary_database(site / "db.sqlite3", value=values["DB_TOKEN"])
    other.parent.mkdir(parents=True)
    other.write_text(f'{{"cells": [], "note": "{values["OTHER_TOKEN"]}"}}', encoding="utf-8")
    corpus = harness.Corpus(
        root=root,
        values=values,
        engine_env=harness.engine_environment(values["ENV_SECRET"]),
        cli_extra=["--seed", values["SEED"], "--env", f"COURSE_FLAVOUR={values['FLAVOUR']}"],
    )
    for case in cases:
        corpus.add(case)
    targets = [harness.REPO, root, root / "source" / "escape", *map(Path, CANARY_DIRS)]
    targets += [corpus.submissions[c.name] for c in cases]
    return World(
        corpus=corpus,
        tcp=tcp,
        unix=unix,
        redis_set=harness.set_redis_key(values["REDIS_KEY"], value=values["REDIS_TOKEN"]),
        canary_targets=[t / values["CANARY_FILE"] for t in targets],
    )

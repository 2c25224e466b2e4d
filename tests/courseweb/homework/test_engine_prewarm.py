"""A worker process's pre-warmed sandbox slot is still alive when the first submission comes.

bubblewrap's --die-with-parent kills the sandbox when the *thread* that started it ends; the warming thread used to
end right after the warm-up, so the slot was killed and the first submission paid a cold start (or met a dead slot).
"""

from __future__ import annotations

import time

from courseweb.homework import engine
from graders.sandbox import BWRAP
from tests.conftest import skip_or_fail
from tests.workers import wait_for


def test_the_prewarmed_slot_outlives_the_warm_up(monkeypatch):
    from pathlib import Path

    if not Path(BWRAP).exists():
        skip_or_fail("bubblewrap is not installed: no sandbox to warm")
    monkeypatch.setattr(engine, "_pool", None)
    try:
        engine.engine_prewarm()
        pool = wait_for(
            lambda: engine._pool if engine._pool and engine._pool._idle else None,
            timeout=180,
            what="the warmed slot",
        )
        slot = pool._idle[0]
        time.sleep(
            2
        )  # give a slot whose starting thread ended the time to be killed (not a timing assertion)
        assert slot.alive, "the warmed slot was killed when the warm-up ended"
        with pool.slot() as used:
            assert used is slot  # the first submission gets the warm slot, not a new cold one
    finally:
        engine.engine_pool_close()

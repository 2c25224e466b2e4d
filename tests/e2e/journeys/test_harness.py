"""The journeys harness's own check of the server log: an HTTP 500 is found, other statuses and paths are not."""

from __future__ import annotations

import pytest

from tests.e2e.journeys.conftest import Stack

pytestmark = pytest.mark.e2e


def test_the_log_check_finds_the_requests_answered_with_500(tmp_path):
    log = tmp_path / "web.log"
    log.write_text(
        '[06/Dec/2026 21:50:27] "GET /homework/tiny/ HTTP/1.1" 200 5120\n'
        '[06/Dec/2026 21:50:28] "GET /errors/500/ HTTP/1.1" 404 179\n'
        '[06/Dec/2026 21:50:29] "POST /homework/tiny/submit/ HTTP/1.1" 500 145\n'
        "Internal Server Error: /homework/tiny/submit/\n"
        '[06/Dec/2026 21:50:30] "GET /gradebook/ HTTP/1.1" 302 0\n'
    )
    stack = Stack(url="http://127.0.0.1:1", var=tmp_path, web_log=log, worker_log=tmp_path / "worker.log")
    assert stack.served_500() == ['[06/Dec/2026 21:50:29] "POST /homework/tiny/submit/ HTTP/1.1" 500 145']

"""The journeys harness's own check of the server log: an HTTP 500 is found, other statuses and paths are not."""

from __future__ import annotations

import pytest

from tests.e2e.journeys.conftest import Journey, Stack

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


CSP_PAGE = (
    "data:text/html,<html lang=en><head><title>t</title>"
    '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'"></head>'
    "<body><main><h1>t</h1>{body}</main></body></html>"
)


def test_the_csp_check_reports_a_page_whose_script_the_policy_refused(browser_context_factory, tmp_path):
    stack = Stack(url="http://127.0.0.1:1", var=tmp_path, web_log=tmp_path / "w", worker_log=tmp_path / "k")
    j = Journey(browser_context_factory, stack)
    try:
        j.page.goto(CSP_PAGE.format(body="<p>no script here</p>"))
        j.record_csp(j.page, "clean page")
        assert j.problems == [] and j.csp_reports == 0
        j.page.goto(CSP_PAGE.format(body="<script>window.ran = 1</script>"))
        j.page.wait_for_function("() => window.__cspViolations.length > 0")
        j.record_csp(j.page, "page with an inline script")
        assert j.csp_reports == 1 and "script-src" in j.problems[0]
        assert j.page.evaluate("() => window.ran === undefined")  # refused, not only reported
    finally:
        j.close()

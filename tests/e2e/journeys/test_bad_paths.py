"""The bad paths, in Chromium on one journeys stack: what people get wrong, and what the site must survive.

* Wrong passwords: each is refused with a message; the fifth locks out that account from this address for 15
  minutes (the right password is refused too, and the page says so), while a classmate still logs in.
* A session that expires while a notebook is being uploaded: the file is kept, the log-in page comes next, and
  one click submits exactly the bytes that were chosen.
* Uploads that must be refused with a clear message and nothing stored: a .txt, a corrupt notebook, a 25 MB file,
  another assignment's notebook, anything after the cut-off.
* A double submit (a double click, then the same file again) stores one submission.

Every page on the way passes axe and fits a 390 px phone; the server's log is checked for HTTP 500 at the end.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.e2e.journeys import seed
from tests.e2e.journeys.notebooks import other_notebook, right_notebook, wrong_notebook

pytestmark = pytest.mark.e2e
GRADED = 240_000  # ms: a generous bound for one grading on a busy machine


def _choose(j, path) -> None:
    j.page.get_by_label("Your notebook (.ipynb)").set_input_files(str(path))


def _history_rows(j) -> int:
    return (
        j.page.locator("table", has=j.page.get_by_role("columnheader", name="Submitted (HKT)"))
        .locator("tbody tr")
        .count()
    )


def test_wrong_passwords_then_the_lockout_of_that_account_from_this_address(journey):
    j = journey
    page = j.page
    j.goto("/accounts/login/")
    for _ in range(5):
        j.fill_login(seed.email("fay"), "not-my-password")
        j.button("Log in")
        assert page.get_by_role("alert").first.is_visible()
        assert "/accounts/login/" in page.url
    # The right password is refused now, and the page says why and for how long.
    j.fill_login("fay", seed.PASSWORD)
    j.button("Log in")
    alert = page.get_by_role("alert").first.inner_text()
    assert "Too many failed log-in attempts" in alert and "15 minutes" in alert
    j.goto("/")
    assert page.get_by_role("link", name="Log in").count() >= 1, "Fay is not logged in"
    # The lockout is of (account, address): a classmate on the same network logs in.
    j.login_as("gus")
    assert j.heading() == "AI for Business Research"


def test_an_expired_session_keeps_the_upload_and_submits_it_in_one_click(journey, tmp_path):
    j = journey
    page = j.page
    j.login_as("erin")
    j.goto(f"/homework/{seed.OPEN_HW}/")
    notebook = tmp_path / "tiny.ipynb"
    data = right_notebook(j.stack)
    notebook.write_bytes(data)
    _choose(j, notebook)
    # The session expires while the file is chosen (the session cookie is gone; the CSRF cookie stays).
    cookies = [c for c in j.context.cookies() if c["name"] != "sessionid"]
    j.context.clear_cookies()
    j.context.add_cookies(cookies)
    j.button("Upload and grade")
    assert "/accounts/login/" in page.url
    assert "We kept tiny.ipynb" in j.text()
    j.fill_login("erin", seed.PASSWORD)
    j.button("Log in")
    assert j.heading() == "Your session expired; we kept tiny.ipynb. Submit it?"
    j.button("Submit tiny.ipynb and grade it")
    page.wait_for_url("**/homework/submissions/*/")
    digest = hashlib.sha256(data).hexdigest()
    assert digest[:16] in page.locator("dl").first.inner_text()
    stored = list((j.stack.var / "media" / "homework" / "submissions").glob(f"*/{digest}.ipynb"))
    assert len(stored) == 1 and stored[0].read_bytes() == data, "the kept bytes were submitted unchanged"
    page.wait_for_selector("#grading-status[data-state=graded]", timeout=GRADED)
    j.check()
    assert "Score: 3 / 5" in page.locator("#grading-status").inner_text()


def test_refused_uploads_say_why_and_store_nothing(journey, tmp_path):
    j = journey
    page = j.page
    j.login_as("dan")  # Dan's group has one (seeded) submission
    j.goto(f"/homework/{seed.OPEN_HW}/")
    before = _history_rows(j)
    cases = {
        "answers.txt": (b"my answers: 2, 3\n", "not a Jupyter notebook"),
        "tiny.ipynb": (b'{"cells": [ {"cell_type": "code", "source": ', "not a Jupyter notebook"),
        "big/tiny.ipynb": (b"{" + b" " * (25 * 2**20) + b"}", "the limit is 20 MB"),
        "other.ipynb": (other_notebook(j.stack), "does not belong to Tiny homework"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        _choose(j, path)
        j.button("Upload and grade")
        error = page.locator("#upload-error")
        assert message in error.inner_text(), f"{name}: {error.inner_text()}"
        assert error.get_attribute("role") == "alert"
        j.goto(f"/homework/{seed.OPEN_HW}/")
        assert _history_rows(j) == before, f"{name} was stored"

    # After the cut-off nothing is accepted, with the time it closed.
    j.goto(f"/homework/{seed.CLOSED_HW}/")
    path = tmp_path / "late" / "other.ipynb"
    path.parent.mkdir()
    path.write_bytes(other_notebook(j.stack))
    _choose(j, path)
    j.button("Upload and grade")
    assert "closed at" in page.locator("#upload-error").inner_text()
    j.goto(f"/homework/{seed.CLOSED_HW}/")
    assert page.get_by_text("Nothing submitted yet.").is_visible()


def test_a_double_submit_stores_one_submission(journey, tmp_path):
    j = journey
    page = j.page
    j.login_as("gus")  # Gus's group has not submitted yet
    j.goto(f"/homework/{seed.OPEN_HW}/")
    path = tmp_path / "tiny.ipynb"
    path.write_bytes(wrong_notebook(j.stack))
    _choose(j, path)
    page.get_by_role("button", name="Upload and grade").dblclick()
    page.wait_for_url("**/homework/submissions/*/")
    j.check()
    first = page.url
    j.goto(f"/homework/{seed.OPEN_HW}/")
    assert _history_rows(j) == 1
    # The same file again: the site says so and shows the same submission.
    _choose(j, path)
    j.button("Upload and grade")
    assert page.url == first
    assert page.get_by_text("You already submitted exactly this notebook").is_visible()
    j.goto(f"/homework/{seed.OPEN_HW}/")
    assert _history_rows(j) == 1

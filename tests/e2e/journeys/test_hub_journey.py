"""A student's homework in JupyterHub, on `make run`'s stack (site, worker, hub and proxy, all real processes).

Amy logs in on the site, opens the tiny homework, clicks "Open in JupyterHub" and follows the progress page into
JupyterLab without logging in again (the hub logs her in through the site's OpenID Connect provider). The
notebook is open, in `tiny/` of her home. She types the reference answer into a solution cell, presses the
notebook's Submit button, follows the link to the feedback on the site and sees the submission graded with the
points of that answer.

The site's pages pass the journeys' checks (axe at 1,280 px, no CSP violation, no overflow at 390 px). JupyterLab's
own pages are left out of them: they are JupyterLab's interface, not the site's templates, and JupyterLab is a
desktop application (its layout is not meant for a 390 px phone).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.journeys import seed

pytestmark = pytest.mark.e2e
WITH_HUB = True  # the journeys' stack also starts the course JupyterHub and its proxy, as `make run` does
GRADED = 240_000  # ms: a generous bound for one grading on a busy machine
LAB = 300_000  # ms: a generous bound for starting a student's server and placing the homework
# The reference answer of the `means` cell (2 points: its visible and hidden tests); `scale` is left as released
# and the written answer is graded by staff, so the submission scores 2 of 5 with 2 points pending.
MEANS_ANSWER = "def column_means(x): return np.asarray(x, dtype=float).mean(axis=0)"


def test_student_opens_the_homework_in_jupyterhub_edits_and_submits(journey):
    j = journey
    page = j.page
    hub = j.stack.hub
    # (status, URL) of every page the tab loaded, each hop of a redirect too
    answers: list[tuple[int, str]] = []

    def on_response(response) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            answers.append((response.status, response.url))

    page.on("response", on_response)

    # Amy logs in on the site and opens the open homework; its page offers JupyterHub.
    j.login_as("amy")
    todo = page.locator("section", has=page.get_by_role("heading", name="Your to-do"))
    j.click(todo.get_by_role("link", name="Tiny homework"))
    assert j.heading().startswith("Tiny homework")

    # "Open in JupyterHub": the progress page follows the request and moves on to JupyterLab when it is done.
    answers.clear()
    page.get_by_role("button", name="Open in JupyterHub").click()
    page.wait_for_url(re.compile(re.escape(hub.url) + r"/user/u\d+/lab"), timeout=LAB)
    steps = [url for _status, url in answers]
    progress = next(url for url in steps if re.search(r"/hub/opens/\d+/$", url))
    assert progress.startswith(j.stack.url)
    # The hub sent her to the site's OpenID Connect provider, which let her through on her site session: no log-in
    # form on the way (the hub's /hub/login only redirects, as auto_login makes it).
    assert any(url.startswith(f"{j.stack.url}/o/authorize/") for url in steps), steps
    forms = [
        (status, url)
        for status, url in answers
        if "/accounts/login/" in url or ("/hub/login" in url and not 300 <= status < 400)
    ]
    assert forms == [], f"asked to log in a second time: {answers}"
    hub_user = re.search(r"/user/(u\d+)/", page.url).group(1)
    assert page.url.startswith(f"{hub.url}/user/{hub_user}/lab/tree/tiny/tiny.ipynb"), page.url

    # JupyterLab shows the notebook, in tiny/ of her home; the hidden tests are not in it.
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for(timeout=LAB)
    assert page.locator(".lm-TabBar-tab.lm-mod-current", has_text="tiny.ipynb").count() >= 1
    page.locator(".jp-BreadCrumbs").get_by_text("tiny").wait_for()
    assert page.locator(".jp-DirListing-item", has_text="tiny.ipynb").count() == 1
    assert seed.OPEN_HW in page.locator(".jp-BreadCrumbs").inner_text()
    assert "BEGIN HIDDEN TESTS" not in notebook.inner_text()
    placed = j.stack.var / "hub" / "homes" / hub_user / seed.OPEN_HW / f"{seed.OPEN_HW}.ipynb"
    assert placed.is_file()

    # She types the reference answer into the `column_means` cell.
    cell = notebook.locator(".jp-CodeCell", has_text="def column_means")
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(MEANS_ANSWER)
    page.keyboard.press("Escape")  # command mode: the edit is in the notebook model
    assert editor.inner_text().strip() == MEANS_ANSWER

    # Submit, from the notebook's toolbar: it saves the notebook (the answer is in the file in her home) and hands
    # it in; the status dialog links to the feedback on the site.
    notebook.locator(".course-submit-button").click()
    feedback = page.locator(".course-submit-dialog .course-feedback-link")
    feedback.wait_for(timeout=GRADED)
    assert MEANS_ANSWER in placed.read_text()
    href = feedback.get_attribute("href")
    assert href and href.startswith(f"{j.stack.url}/homework/submissions/"), href

    # The submission's page on the site: graded, with the points of her answer.
    j.goto(href)
    page.wait_for_selector("#grading-status[data-state=graded]", timeout=GRADED)
    j.check()
    status = page.locator("#grading-status").inner_text()
    assert "Score: 2 / 5" in status and "2 points pending" in status, status

    # The progress page of the request, as it ended (the site's page; checked like every other).
    j.goto(progress)
    assert "Ready" in j.text()
    assert page.get_by_role("link", name="Open tiny/tiny.ipynb in JupyterLab").is_visible()

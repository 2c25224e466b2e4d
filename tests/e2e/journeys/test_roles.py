"""Each role's journey through the course, in Chromium on one journeys stack (a web server and a real worker).

* The student logs in with her e-mail address, follows her to-do list, the schedule, a lecture page with its
  materials and notes, forms a group with a classmate, signs the group up for a scribing place and a paper and
  moves the scribing place, hands in the homework (a wrong notebook, then a right one, watching the grading live),
  reads the feedback, chooses which submission counts, hands in the project proposal and reads her grades.
* The TA opens an assignment's staff page, grants extensions to a group and to a student, grades a written answer
  with a comment that the student then reads, regrades, and downloads the gradebook's CSVs.
* The instructor uploads the roster, adds materials to a lecture, moves a group between sign-up slots and reads the
  weighted gradebook.

Every page on the way passes axe (no serious or critical violation) and fits a 390 px phone; the server's log is
checked for HTTP 500 when the module's stack stops.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.e2e.journeys import seed
from tests.e2e.journeys.notebooks import (
    HIDDEN_PART,
    released_notebook,
    right_notebook,
    wrong_notebook,
)

pytestmark = pytest.mark.e2e
GRADED = 240_000  # ms: a generous bound for one grading on a busy machine


def slot_row(page, session: int):
    """The sign-up board's row of a session (student and staff boards name the slot in the first cell)."""
    return page.locator(
        "tr", has=page.locator("td:first-child strong", has_text=re.compile(rf"^Session {session}\b"))
    )


def _upload(j, path) -> None:
    j.page.get_by_label("Your notebook (.ipynb)").set_input_files(str(path))
    j.button("Upload and grade")
    j.page.wait_for_url("**/homework/submissions/*/")


def test_student_goes_through_the_course(journey, tmp_path):
    j = journey
    page = j.page

    # Amy logs in with her e-mail address; the home page lists what she has to hand in.
    j.login_as("amy", identifier=seed.email("amy").upper())
    assert j.heading() == "AI for Business Research"
    todo = page.locator("section", has=page.get_by_role("heading", name="Your to-do"))
    assert "Tiny homework" in todo.inner_text() and "Project proposal" in todo.inner_text()

    # The schedule, then session 1's page with its materials and a link to its published notes.
    j.link("See the full schedule")
    assert j.heading() == "Schedule"
    j.link("Supervised learning as a research instrument")
    assert j.heading() == "Session 1: Supervised learning as a research instrument"
    assert page.get_by_role("link", name="Session 1 slides").is_visible()
    assert page.get_by_role("link", name="Double/debiased machine learning (arXiv)").is_visible()

    # The notes chapter, with its math typeset on the page, and a search of the notes.
    j.click(page.get_by_role("link", name="Read the notes for this session"))
    page.locator(".katex").first.wait_for()
    assert page.locator(".katex").count() > 5
    page.get_by_label("Search the notes").fill("validation")
    j.button("Search")
    assert page.locator("main a", has_text="Supervised learning").count() >= 1

    # Amy registers a group and invites Ben by e-mail; Ben accepts.
    j.link("My group")
    page.get_by_label("Group name").fill("Bellman Backups")
    j.button("Register group")
    assert j.heading() == "My group: Bellman Backups"
    page.get_by_label("Classmate's e-mail or student number").fill(seed.email("ben"))
    j.button("Send invitation")
    assert page.get_by_text("Invitation sent to Ben Lee").is_visible()
    j.login_as("ben")
    j.link("My group")
    invitation = page.locator(".invitation", has_text="Bellman Backups")
    assert "Amy Chan" in invitation.inner_text()
    j.button("Accept", within=invitation)
    assert j.heading() == "My group: Bellman Backups"
    assert "Amy Chan" in page.locator(".members").inner_text()

    # Ben takes the scribing of session 3, then moves the group to session 5 in one step.
    j.link("Sign-ups")
    j.link("Lecture-note scribing")
    j.button("Sign up for session 3")
    assert page.get_by_text("your group has a place").is_visible()
    assert "Your group's place" in slot_row(page, 3).inner_text()
    j.button("Move here: session 5")
    assert "Your group's place" in slot_row(page, 5).inner_text()
    assert "Bellman Backups" not in slot_row(page, 3).inner_text()

    # Amy takes a paper presentation slot in session 6 with a paper of the catalogue.
    j.login_as("amy")
    j.goto("/signups/")
    j.link("Paper replication and presentation")
    row = slot_row(page, 6).first
    row.get_by_label("Paper").select_option(label=seed.PAPER_TITLE)
    j.click(row.get_by_role("button", name="Sign up for session 6").first)
    assert page.get_by_text("your group has a place").is_visible()
    j.link("My group")
    signups = page.locator(".group-signups").inner_text()
    assert "Lecture-note scribing: session 5" in signups
    assert "Paper replication and presentation: session 6" in signups and seed.PAPER_TITLE in signups

    # The homework: Amy downloads the notebook, uploads a wrong answer and watches it being graded.
    j.link("Homework")
    j.link("Tiny homework")
    downloaded = j.download(page.get_by_role("link", name="Download tiny.ipynb"))
    assert json.loads(downloaded)["cells"] == released_notebook(j.stack)["cells"]
    wrong = tmp_path / "wrong" / "tiny.ipynb"
    wrong.parent.mkdir()
    wrong.write_bytes(wrong_notebook(j.stack))
    _upload(j, wrong)
    page.evaluate("window.__sameDocument = 'yes'")
    status = page.locator("#grading-status")
    page.wait_for_selector("#grading-status[data-state=graded]", timeout=GRADED)
    assert page.evaluate("window.__sameDocument") == "yes", "the status updated in place, without a reload"
    j.check()
    assert "Score: 0 / 5" in status.inner_text()
    # The feedback teaches: the visible test's error (the stub still raises) is named on the page; nothing of the
    # hidden part is shown.
    means = page.locator("tr.test-row", has_text="test_means")
    assert "NotImplementedError" in means.inner_text()
    assert "NotImplementedError" in page.locator(".feedback").first.inner_text()
    assert HIDDEN_PART not in page.content()

    # A right answer, graded live; the written answer's points are pending.
    j.link("Tiny homework")
    right = tmp_path / "right" / "tiny.ipynb"
    right.parent.mkdir()
    right.write_bytes(right_notebook(j.stack))
    _upload(j, right)
    page.wait_for_selector("#grading-status[data-state=graded]", timeout=GRADED)
    j.check()
    assert "Score: 3 / 5" in status.inner_text()
    assert "2 points pending" in status.inner_text()

    # Which submission counts: the latest by default; Amy tries the other, then goes back to the default.
    j.link("Tiny homework")
    history = page.locator("table", has=page.get_by_role("columnheader", name="Counts"))
    assert (
        history.locator("tr.counted").count() == 1 and "3 / 5" in history.locator("tr.counted").inner_text()
    )
    j.click(history.locator("button", has_text="Count this one").first)
    assert "0 / 5" in history.locator("tr.counted").inner_text()
    assert page.get_by_text("Your group chose the submission marked").is_visible()
    j.button("Back to the default")
    assert "3 / 5" in history.locator("tr.counted").inner_text()

    # The project proposal: a file handed in for the group, found from the to-do list.
    j.goto("/")
    j.click(todo.get_by_role("link", name="Project proposal"))
    assert j.heading() == "Project proposal"
    proposal = tmp_path / "proposal.pdf"
    proposal.write_bytes(b"%PDF-1.4\n% journeys proposal\n%%EOF\n")
    upload_form = page.locator("form", has=page.get_by_role("heading", name="Upload a file"))
    upload_form.get_by_label("File").set_input_files(str(proposal))
    upload_form.get_by_label("What is it?").fill("Proposal")
    j.button("Upload")
    assert page.get_by_text("File handed in.").is_visible()
    assert "proposal.pdf" in page.locator("li", has_text="Proposal").first.inner_text()

    # Grades: the homework's points so far, with the written answer's points shown as pending.
    j.goto("/gradebook/")
    assert j.heading() == "Your grades"
    row = page.locator("tr", has_text="Tiny homework")
    assert "3" in row.inner_text() and "pending" in row.inner_text()


def test_ta_grants_extensions_grades_and_exports(journey, tmp_path):
    j = journey
    page = j.page
    j.login_as("tim")

    # The staff page of an assignment (it lists the seeded, graded submission of Carol and Dan's group).
    j.link("Homework")
    j.link("Tiny homework")
    j.link("Staff view: all submissions, regrade, extensions")
    assert j.heading() == "Tiny homework: all submissions"
    row = page.locator("tr", has_text=seed.GRADED_GROUP)
    row.get_by_text("Graded").wait_for()

    # Extensions: one for a group, one for a student who has no group.
    for owner, when in ((seed.GRADED_GROUP, "2030-01-15T09:30"), ("Erin Yip", "2030-01-20T12:00")):
        page.get_by_label("Group or student").select_option(label=owner)
        page.get_by_label("New due time (Hong Kong time)").fill(when)
        page.get_by_label("Reason").fill("medical certificate")
        j.button("Grant extension")
    extensions = (
        page.locator("h2", has_text="Extensions").locator("xpath=following-sibling::ul[1]").inner_text()
    )
    assert f"{seed.GRADED_GROUP}: due 15 Jan 2030, 09:30" in extensions
    assert "Erin Yip: due 20 Jan 2030, 12:00" in extensions

    # The written answer of the group's submission: points and a comment, shown again after a reload.
    j.click(row.get_by_role("link").first)
    submission_url = page.url
    page.get_by_label("Points for explain").fill("1.5")
    page.get_by_label("Comment").fill("Say why equal weights make the mean move.")
    j.button("Save grade")
    j.goto(submission_url)
    assert page.get_by_label("Points for explain").input_value() == "1.5"
    assert page.get_by_label("Comment").input_value() == "Say why equal weights make the mean move."

    # Regrade: the engine runs again and the manual points are kept.
    j.button("Regrade this submission")
    page.wait_for_selector("#grading-status[data-state=graded]", timeout=GRADED)
    j.check()
    assert "Score: 3.5 / 5" in page.locator("#grading-status").inner_text()

    # Carol, a member of the group, reads the points and the comment.
    j.login_as("carol")
    j.goto(submission_url)
    assert "Say why equal weights make the mean move." in page.locator("#grading-status").inner_text()
    assert "Score: 3.5 / 5" in page.locator("#grading-status").inner_text()
    assert "Due" in j.goto("/homework/tiny/").locator("main").inner_text()
    assert "15 January 2030" in page.locator("main dl").inner_text()

    # The gradebook and both CSVs.
    j.login_as("tim")
    j.goto("/gradebook/")
    assert j.heading() == "Gradebook"
    carol = page.locator("tr", has_text="Carol Ng")
    assert "3.5" in carol.inner_text()
    canvas = j.download(page.get_by_role("link", name="Download CSV for Canvas"))
    rows = list(csv.reader(io.StringIO(canvas.decode("utf-8"))))
    assert rows[0][0] == "Student" and any("Tiny homework" in h for h in rows[0])
    assert not any("pending" in h.lower() for h in rows[0]), "Canvas gets only Canvas's columns"
    details = j.download(page.get_by_role("link", name="Download details CSV"))
    head = next(csv.reader(io.StringIO(details.decode("utf-8"))))
    assert any("pending" in h.lower() for h in head)


def test_instructor_manages_roster_materials_signups_and_gradebook(journey, tmp_path):
    j = journey
    page = j.page
    j.login_as("dana")

    # Roster upload: a new student is enrolled.
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,student_number,major,department,role\n"
        "hana@link.journeys.example.edu,Hana Ko,1155399999,Finance,FIN,student\n"
    )
    j.goto("/accounts/roster/")
    assert j.heading() == "Roster"
    page.get_by_label("Roster (CSV)").set_input_files(str(roster))
    j.button("Import")
    assert page.get_by_role("cell", name="Hana Ko", exact=True).count() >= 1

    # Materials on session 2's page: a link, then an uploaded file.
    j.goto("/schedule/2/")
    page.get_by_label("Kind").select_option(label="Reading")
    page.get_by_label("Title").fill("Regularisation paths (reading)")
    page.get_by_label("Or a link").fill("https://example.org/dote6635/reading-2.pdf")
    j.button("Add material")
    assert page.get_by_role("link", name="Regularisation paths (reading)").is_visible()
    slides = tmp_path / "session-2.pdf"
    slides.write_bytes(b"%PDF-1.4\n% session 2 slides\n%%EOF\n")
    page.get_by_label("Kind").select_option(label="Slides")
    page.get_by_label("Title").fill("Session 2 slides")
    page.get_by_label("File").set_input_files(str(slides))
    j.button("Add material")
    assert page.get_by_role("link", name="Session 2 slides").is_visible()

    # A group moves between scribing slots.
    j.goto("/signups/manage/")
    j.link("Lecture-note scribing")
    page.get_by_label(f"Move {seed.SIGNED_UP_GROUP} to").select_option(label="Session 6")
    j.click(
        page.locator(".staff-signup", has_text=seed.SIGNED_UP_GROUP).get_by_role(
            "button", name="Move", exact=True
        )
    )
    assert seed.SIGNED_UP_GROUP in slot_row(page, 6).inner_text()
    assert seed.SIGNED_UP_GROUP not in slot_row(page, 4).inner_text()

    # The gradebook with the course's weights.
    j.goto("/gradebook/")
    lead = page.locator("p.lead").first.inner_text()
    assert "homework 40%" in lead and "project 30%" in lead
    assert page.locator("tr", has_text="Hana Ko").count() == 1

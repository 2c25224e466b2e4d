"""End to end in Chromium: a student opens the notes book, follows the table of contents, sees rendered math at
an equation anchor (no literal `$$`), saves a screenshot, and searches.  Uses the real Spring 2025 book when
../shared is present, otherwise the synthetic notes file."""

from __future__ import annotations

import pytest

from courseweb.courses.models import Offering
from courseweb.notes.services import book_import
from tests.conftest import SHARED
from tests.courseweb.notes.factories import SYNTHETIC_NOTES
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEED = SHARED / "seeds" / "scribed-notes-s25.txt"


@pytest.fixture(autouse=True)
def _urlconf_loaded():
    """Import the URL map (and every app's views) before the browser's first request: under load that import
    can take longer than a page's navigation timeout.  The live server thread shares this process."""
    from django.urls import resolve

    resolve("/notes/")


@pytest.fixture
def book_case():
    """(season, TOC link name, page slug, equation anchor, search term, expected result page)."""
    if SEED.is_file():
        offering = Offering.objects.create(slug="s25", title="AI for Business Research", season="Spring 2025")
        book_import(offering=offering, text=SEED.read_text(encoding="utf-8"))
        return "s25", "3.4 Supervised Learning Techniques", "3-4", "eq-13", "Neyman", "13.2"
    offering = Offering.objects.create(slug="f24", title="Synthetic", season="Fall 2024")
    book_import(offering=offering, text=SYNTHETIC_NOTES.read_text(encoding="utf-8"))
    return "f24", "1.1 Sample Means", "1-1", "eq-1", "stabilised", "1.2"


def test_student_reads_a_section_with_math_and_searches(book_case, page, live_server, tmp_path):
    season, toc_link, slug, anchor, term, expected = book_case
    student = UserFactory(username="amy", display_name="Amy Chan")
    EnrollmentFactory(user=student, offering=OfferingFactory())
    login(page, live_server, "amy", PASSWORD)

    page.goto(f"{live_server.url}/notes/{season}/")
    toc = page.get_by_role("navigation", name="Table of contents")
    toc.get_by_role("link", name=toc_link, exact=True).click()
    page.wait_for_url(f"**/notes/{season}/{slug}/")
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .replace("\n", " ")
        .endswith(toc_link.split(" ", 1)[1])
    )

    page.goto(f"{live_server.url}/notes/{season}/{slug}/#{anchor}")
    equation = page.locator(f"#{anchor}")
    equation.scroll_into_view_if_needed()
    rendered = equation.locator(".katex-display .katex-html")
    assert rendered.count() == 1 and rendered.is_visible()
    box = rendered.bounding_box()
    assert box is not None and box["height"] > 10  # KaTeX's stylesheet is loaded: the formula is laid out
    assert "$$" not in page.locator("body").inner_text()
    shot = tmp_path / f"notes-{anchor}.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000

    next_link = page.locator("a[rel=next]")
    next_href = next_link.get_attribute("href")
    next_link.click()
    page.wait_for_url(f"**{next_href}")

    page.get_by_label("Search the notes").fill(term)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**/notes/{season}/search/**")
    results = page.locator(".search-results li")
    assert results.count() >= 1
    top3 = [results.nth(i).locator("a").inner_text() for i in range(min(3, results.count()))]
    assert any(title.startswith(expected + " ") for title in top3), top3
    assert page.locator(".search-results mark").first.is_visible()
    results.first.locator("a").click()
    page.wait_for_load_state()
    assert "/notes/" in page.url


def test_notes_pages_have_no_serious_accessibility_violations(book_case, page, live_server):
    season, _, slug, _, term, _ = book_case
    for path in (f"/notes/{season}/", f"/notes/{season}/{slug}/", f"/notes/{season}/search/?q={term}"):
        page.goto(f"{live_server.url}{path}")
        violations = axe_violations(page)
        assert violations == [], (path, violations)


def test_group_previews_and_submits_a_note_and_staff_publish_it(page, live_server):
    from courseweb.notes import scribing
    from tests.courseweb.notes.factories import scribing_setup

    s = scribing_setup()
    s["members"][0].username = "scribe1"
    s["members"][0].save()
    s["ta"].username = "ta-reviewer"
    s["ta"].save()
    scribing.note_assign(session=s["session"], group=s["group"], actor=s["ta"])

    login(page, live_server, "scribe1", PASSWORD)
    page.goto(f"{live_server.url}/notes/scribe/")
    page.get_by_role("link", name="Write or revise the note").click()
    page.get_by_label("Title").fill("Policy gradients")
    page.locator("textarea[name=markdown]").fill(
        "# Policy gradients\n\nThe score is $\\nabla_\\theta \\log \\pi_\\theta(a \\mid s)$.\n\n$$\nJ(\\theta) = V^{\\pi_\\theta}(s_0)\n$$ (1)\n"
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    assert preview.locator("#eq-1 .katex-display").is_visible()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/notes/scribe/note/*/")
    assert "Submitted for review" in page.locator(".note-status").inner_text()

    page.context.clear_cookies()
    login(page, live_server, "ta-reviewer", PASSWORD)
    page.goto(f"{live_server.url}/notes/scribe/")
    page.get_by_role("link", name="Submitted for review").click()
    page.get_by_role("button", name="Publish").click()
    assert "Published" in page.locator(".note-status").inner_text()

    page.goto(f"{live_server.url}/notes/{s['offering'].slug}/session-{s['session'].number}/")
    assert page.locator("#eq-1 .katex-html").is_visible()
    assert "$$" not in page.locator("body").inner_text()


def test_scribing_pages_have_no_serious_accessibility_violations(page, live_server):
    from courseweb.notes import scribing
    from tests.courseweb.notes.factories import scribing_setup

    s = scribing_setup()
    s["ta"].username = "ta-axe"
    s["ta"].save()
    login(page, live_server, "ta-axe", PASSWORD)
    note = scribing.note_assign(session=s["session"], group=s["group"], actor=s["ta"])
    scribing.note_version_create(note=note, author=None, markdown="# Note\n\nText with $x^2$.\n")
    scribing.note_version_create(note=note, author=None, markdown="# Note\n\nText with $x^3$.\n")
    for path in (
        "/notes/scribe/",
        f"/notes/scribe/session/{s['session'].pk}/",
        f"/notes/scribe/note/{note.pk}/",
        f"/notes/scribe/note/{note.pk}/diff/1/2/",
    ):
        page.goto(f"{live_server.url}{path}")
        violations = axe_violations(page)
        assert violations == [], (path, violations)

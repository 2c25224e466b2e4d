"""End to end in Chromium: staff import a BibTeX file and confirm a tag; a student searches and filters the catalogue."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from courseweb.courses.models import Role
from courseweb.papers.models import Paper, PaperTag
from courseweb.papers.services import paper_eligibility_set, paper_import_text, paper_tags_confirm_all
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BIB = r"""
@article{bandit, title = {Thompson Sampling for Dynamic Pricing}, author = {Lovelace, Ada and Turing, Alan},
  year = 2023, journal = {Management Science},
  abstract = {We show a regret of $O(\sqrt{T \log T})$ for pricing with bandits.}}
@article{agents, title = {LLM Agents in Simulated Markets}, author = {Hopper, Grace}, year = 2025,
  abstract = {Large language model agents trade in a marketplace and reach an equilibrium.}}
@misc{gap, title = {Mind the Gap}, eprint = {2412.02674}, archivePrefix = {arXiv}, year = 2024}
"""


@pytest.fixture
def offering():
    from courseweb.courses.selectors import offering_current

    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    return offering_current()


def test_student_searches_and_filters_the_catalogue(offering, page, live_server):
    paper_import_text(text=BIB, filename="seed.bib")
    bandit = Paper.objects.get(title__startswith="Thompson")
    paper_tags_confirm_all(paper=bandit, user=None)
    paper_eligibility_set(paper=bandit, offering=offering, eligible=True, user=None)
    student = UserFactory(username="cara")
    EnrollmentFactory(user=student, offering=offering, role=Role.STUDENT)

    login(page, live_server, "cara", PASSWORD)
    page.get_by_role("link", name="Papers").first.click()
    page.wait_for_url("**/papers/")
    assert page.locator("#result-count").inner_text() == "3 papers"

    page.get_by_label("Search", exact=True).fill("pricing")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/papers/?q=pricing*")
    assert page.locator("#result-count").inner_text() == "1 paper"
    assert page.locator(".paper h2").inner_text() == "Thompson Sampling for Dynamic Pricing"

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Tag").select_option("bandits")
    page.get_by_label("Open for replication only").check()
    page.get_by_role("button", name="Search").click()
    assert page.locator("#result-count").inner_text() == "1 paper"
    assert page.get_by_text("Open for replication").first.is_visible()

    page.get_by_label("Year").select_option("2024")
    page.get_by_label("Tag").select_option("")
    page.get_by_label("Open for replication only").uncheck()
    page.get_by_role("button", name="Search").click()
    assert page.locator(".paper h2").inner_text() == "Mind the Gap"

    page.goto(f"{live_server.url}/papers/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Thompson Sampling for Dynamic Pricing").click()
    assert page.locator("#abstract .katex").count() == 1
    assert page.get_by_role("heading", name="Staff").count() == 0


def test_staff_upload_a_file_and_confirm_a_suggested_tag(offering, page, live_server, tmp_path):
    staff = UserFactory(username="tina")
    EnrollmentFactory(user=staff, offering=offering, role=Role.TA)
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")

    login(page, live_server, "tina", PASSWORD)
    page.goto(f"{live_server.url}/papers/import/")
    page.get_by_label("File").set_input_files(str(bib))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/papers/import/*/")
    assert page.locator("#report").inner_text().strip().endswith("added: 3, merged: 0, skipped: 0")

    page.goto(f"{live_server.url}/papers/review/")
    bandit = Paper.objects.get(title__startswith="Thompson")
    section = page.locator(f"#review-{bandit.pk}")
    section.get_by_role("button", name="Confirm Bandits").click()
    page.wait_for_load_state("networkidle")
    assert PaperTag.objects.get(paper=bandit, tag__slug="bandits").status == "confirmed"

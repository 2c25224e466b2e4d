"""Catalogue pages: who sees what, search and filters, math in abstracts, and the staff's curation actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseweb.courses.models import Role
from courseweb.papers.forms import ERROR_NOT_UTF8, ERROR_NOTHING_TO_IMPORT
from courseweb.papers.models import ImportBatch, Paper, PaperSource, PaperTag, TagStatus
from courseweb.papers.selectors import paper_list_eligible
from tests.courseweb.papers.factories import PaperFactory, PaperTagFactory, TagFactory
from tests.factories import EnrollmentFactory, OfferingFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory()


@pytest.fixture
def student(client, offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    client.force_login(user)
    return user


@pytest.fixture
def staff(client, offering):
    user = StaffUserFactory()
    client.force_login(user)
    return user


def test_catalogue_requires_login_and_enrollment(client, offering):
    assert client.get("/papers/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/papers/").status_code == 403


def test_student_searches_by_words_tag_year_and_source(client, student):
    bandit = PaperFactory(title="Thompson Sampling for Bandits", date=dt.date(2023, 1, 5))
    agent = PaperFactory(title="LLM Agents in Markets", date=dt.date(2025, 3, 1), authors_text="Grace Hopper")
    PaperTagFactory(paper=bandit, tag=TagFactory(slug="bandits", label="Bandits"))
    PaperTagFactory(paper=agent, tag=TagFactory(slug="llm", label="LLM"), status=TagStatus.SUGGESTED)
    PaperSource.objects.create(
        paper=agent,
        batch=ImportBatch.objects.create(format="trending", sha256="x"),
        format="trending",
        source_line=3,
        raw="r",
        raw_sha256="r",
    )

    def titles(query: str) -> list[str]:
        html = client.get(f"/papers/{query}").content.decode()
        found = [(html.find(f'id="paper-{p.pk}"'), p.title) for p in (bandit, agent)]
        return [title for position, title in sorted(found) if position >= 0]

    assert titles("") == [agent.title, bandit.title]  # newest first
    assert titles("?q=thompson") == [bandit.title]
    assert titles("?q=hopper") == [agent.title]
    assert titles("?tag=bandits") == [bandit.title]
    assert titles("?tag=llm") == [
        agent.title,
        bandit.title,
    ]  # only confirmed tags filter: "llm" is not offered
    assert titles("?year=2023") == [bandit.title]
    assert titles("?source=trending") == [agent.title]
    html = client.get("/papers/").content.decode()
    assert "Bandits" in html and ">LLM<" not in html  # suggestions are invisible to students


def test_abstract_math_is_rendered_with_katex(client, student):
    paper = PaperFactory()
    html = client.get(f"/papers/{paper.pk}/").content.decode()
    assert 'class="katex"' in html
    assert "vendor/katex/katex.min.css" in html
    assert "Staff" not in html  # no curation panel for students


def test_list_query_count_does_not_grow_with_rows(client, student, django_assert_max_num_queries):
    for _ in range(3):
        PaperTagFactory()
    with django_assert_max_num_queries(30) as small:
        client.get("/papers/")
    for _ in range(20):
        PaperTagFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/papers/")


def test_students_cannot_curate(client, student):
    paper_tag = PaperTagFactory(status=TagStatus.SUGGESTED)
    assert client.get("/papers/import/").status_code == 403
    assert client.get("/papers/review/").status_code == 403
    assert client.post(f"/papers/tags/{paper_tag.pk}/decide/", {"status": "confirmed"}).status_code == 403
    assert client.post(f"/papers/{paper_tag.paper_id}/eligibility/", {"eligible": "on"}).status_code == 403
    paper_tag.refresh_from_db()
    assert paper_tag.status == TagStatus.SUGGESTED


def test_staff_upload_shows_report_and_reupload_merges(client, staff):
    bib = b"@article{a, title={Coupon Targeting}, doi={10.1287/x.1}}\n@article{b, author={Nobody}}\n"
    response = client.post("/papers/import/", {"file": SimpleUploadedFile("refs.bib", bib), "format": ""})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/papers/import/{batch.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "added: 1, merged: 0, skipped: 1" in html and "entry has no title, arXiv id or DOI" in html
    assert batch.imported_by == staff and batch.source_text == bib.decode()
    client.post("/papers/import/", {"text": "https://doi.org/10.1287/X.1", "format": ""})
    assert ImportBatch.objects.first().report.endswith("added: 0, merged: 1, skipped: 0")
    assert Paper.objects.count() == 1


def test_staff_upload_errors_are_clear_and_store_nothing(client, staff):
    html = client.post("/papers/import/", {"text": "", "format": ""}).content.decode()
    assert ERROR_NOTHING_TO_IMPORT in html
    bad = SimpleUploadedFile("x.txt", "caf\u00e9".encode("latin-1"))
    assert ERROR_NOT_UTF8 in client.post("/papers/import/", {"file": bad}).content.decode()
    html = client.post("/papers/import/", {"text": "hello\nworld", "format": ""}).content.decode()
    assert "could not tell the format" in html
    html = client.post("/papers/import/", {"text": "hello", "format": "identifiers"}).content.decode()
    assert "no arXiv ids or DOIs found" in html
    assert not ImportBatch.objects.exists()


def test_staff_confirm_reject_add_tags_and_students_see_confirmed(client, staff, offering):
    paper = PaperFactory()
    keep = PaperTagFactory(
        paper=paper, tag=TagFactory(slug="bandits", label="Bandits"), status=TagStatus.SUGGESTED
    )
    drop = PaperTagFactory(paper=paper, tag=TagFactory(slug="llm", label="LLM"), status=TagStatus.SUGGESTED)
    review = client.get("/papers/review/").content.decode()
    assert f'id="review-{paper.pk}"' in review
    client.post(f"/papers/tags/{keep.pk}/decide/", {"status": "confirmed", "next": "/papers/review/"})
    client.post(f"/papers/tags/{drop.pk}/decide/", {"status": "rejected", "next": "https://evil.example/"})
    client.post(f"/papers/{paper.pk}/tags/add/", {"label": "Dynamic pricing"})
    statuses = dict(PaperTag.objects.filter(paper=paper).values_list("tag__slug", "status"))
    assert statuses == {"bandits": "confirmed", "llm": "rejected", "dynamic-pricing": "confirmed"}
    assert PaperTag.objects.get(pk=keep.pk).decided_by == staff
    assert f'id="review-{paper.pk}"' not in client.get("/papers/review/").content.decode()
    student = UserFactory()
    EnrollmentFactory(user=student, offering=offering)
    client.force_login(student)
    html = client.get(f"/papers/{paper.pk}/").content.decode()
    assert "Bandits" in html and "Dynamic pricing" in html and ">LLM<" not in html


def test_staff_mark_eligible_feeds_the_signup_selector(client, staff, offering):
    paper, other = PaperFactory(), PaperFactory()
    response = client.post(f"/papers/{paper.pk}/eligibility/", {"eligible": "on", "note": "Figure 7"})
    assert response.status_code == 302
    assert list(paper_list_eligible(offering=offering)) == [paper]
    assert paper.eligibilities.get().note == "Figure 7"
    assert "Open for replication" in client.get("/papers/?eligible=on").content.decode()
    html = client.get("/papers/?eligible=on").content.decode()
    assert f'id="paper-{paper.pk}"' in html and f'id="paper-{other.pk}"' not in html
    client.post(f"/papers/{paper.pk}/eligibility/", {"eligible": ""})
    assert not paper_list_eligible(offering=offering).exists()


def test_confirm_all_suggestions(client, staff):
    paper = PaperFactory()
    for slug in ("a-tag", "b-tag"):
        PaperTagFactory(paper=paper, tag=TagFactory(slug=slug), status=TagStatus.SUGGESTED)
    client.post(f"/papers/{paper.pk}/tags/confirm-all/")
    assert set(paper.paper_tags.values_list("status", flat=True)) == {"confirmed"}

"""Lecture materials: staff add (file or link), reorder and remove them on the session page; enrolled people
download files through a checked view; the course file can list links; each session links its published notes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from courseweb.courses.course_file import CourseFileError, course_file_parse
from courseweb.courses.models import Role
from courseweb.courses.services import course_load
from courseweb.lectures.models import Material
from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


@pytest.fixture
def course(settings, tmp_path):
    settings.MATERIALS_ROOT = tmp_path / "materials"
    offering = OfferingFactory()
    session = SessionFactory(offering=offering, number=1, topic="Introduction to Supervised Learning")
    staff, student, outsider = UserFactory(username="ta1"), UserFactory(), UserFactory()
    EnrollmentFactory(user=staff, offering=offering, role=Role.TA)
    EnrollmentFactory(user=student, offering=offering, role=Role.STUDENT)
    return {
        "offering": offering,
        "session": session,
        "staff": staff,
        "student": student,
        "outsider": outsider,
    }


def _add(client, **data):
    return client.post("/schedule/1/materials/add/", data)


def test_staff_add_file_and_link_on_the_session_page_and_enrolled_students_download(client, course, settings):
    client.force_login(course["staff"])
    page = client.get("/schedule/1/").content.decode()
    assert 'for="id_title"' in page and 'for="id_file"' in page and 'for="id_url"' in page
    r = _add(client, kind="slides", title="Session 1 slides", file=SimpleUploadedFile("s1.pdf", PDF))
    assert r.status_code == 302
    r = _add(client, kind="notebook", title="Demo: OLS", file=SimpleUploadedFile("ols.ipynb", NOTEBOOK))
    assert r.status_code == 302
    r = _add(client, kind="reading", title="ESL chapter 3", url="https://hastie.su.domains/ElemStatLearn/")
    assert r.status_code == 302
    slides, notebook, reading = (
        Material.objects.get(title=t) for t in ("Session 1 slides", "Demo: OLS", "ESL chapter 3")
    )
    # stored before the response returned, in private storage (not under MEDIA_ROOT)
    assert Path(slides.file.path).read_bytes() == PDF
    assert Path(slides.file.path).is_relative_to(settings.MATERIALS_ROOT.resolve())
    assert not Path(slides.file.path).is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert slides.added_by == course["staff"] and reading.url.startswith("https://")

    client.force_login(course["student"])
    html = client.get("/schedule/1/").content.decode()
    assert "Not posted yet" not in html and "None listed" not in html
    assert f'href="/schedule/1/materials/{slides.pk}/download/"' in html
    assert 'href="https://hastie.su.domains/ElemStatLearn/"' in html
    assert "Add a material" not in html and "/materials/add/" not in html

    pdf = client.get(f"/schedule/1/materials/{slides.pk}/download/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline") and b"".join(pdf.streaming_content) == PDF
    nb = client.get(f"/schedule/1/materials/{notebook.pk}/download/")
    assert (
        nb["Content-Disposition"].startswith("attachment")
        and 'filename="ols.ipynb"' in nb["Content-Disposition"]
    )
    assert b"".join(nb.streaming_content) == NOTEBOOK

    client.force_login(course["outsider"])
    assert client.get(f"/schedule/1/materials/{slides.pk}/download/").status_code == 403
    client.logout()
    r = client.get(f"/schedule/1/materials/{slides.pk}/download/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_add_form_explains_each_mistake(client, course):
    client.force_login(course["staff"])
    r = _add(client, kind="slides", title="Slides")
    assert r.status_code == 400
    assert "Choose a file to upload or give a link (one of the two)." in r.content.decode()
    r = _add(client, kind="slides", title="", url="https://example.org/a.pdf")
    assert "Give the material a title." in r.content.decode()
    r = _add(client, kind="reading", title="Paper", url="javascript:alert(1)")
    assert "Enter a full web address" in r.content.decode()
    r = _add(
        client, kind="slides", title="Both", url="https://example.org/", file=SimpleUploadedFile("a.pdf", PDF)
    )
    assert "Give either a file or a link, not both." in r.content.decode()
    r = _add(client, kind="slides", title="Empty", file=SimpleUploadedFile("a.pdf", b""))
    assert r.status_code == 400 and "The submitted file is empty." in r.content.decode()
    assert not Material.objects.exists()


def test_staff_reorder_and_remove_materials(client, course):
    client.force_login(course["staff"])
    for title in ("First", "Second", "Third"):
        _add(client, kind="reading", title=title, url=f"https://example.org/{title.lower()}")
    _add(client, kind="slides", title="Deck", file=SimpleUploadedFile("deck.pdf", PDF))

    def order():
        html = client.get("/schedule/1/").content.decode()
        return sorted(("First", "Second", "Third"), key=lambda t: html.index(f">{t}</a>"))

    third = Material.objects.get(title="Third")
    client.post(f"/schedule/1/materials/{third.pk}/move/", {"direction": "up"})
    assert order() == ["First", "Third", "Second"]
    first = Material.objects.get(title="First")
    client.post(f"/schedule/1/materials/{first.pk}/move/", {"direction": "down"})
    assert order() == ["Third", "First", "Second"]
    client.post(f"/schedule/1/materials/{first.pk}/move/", {"direction": "down"})
    client.post(f"/schedule/1/materials/{first.pk}/move/", {"direction": "down"})  # already last: no change
    assert order() == ["Third", "Second", "First"]

    deck = Material.objects.get(title="Deck")
    path = Path(deck.file.path)
    assert path.is_file()
    r = client.post(f"/schedule/1/materials/{deck.pk}/remove/")
    assert r.status_code == 302 and not Material.objects.filter(pk=deck.pk).exists() and not path.exists()
    assert "Not posted yet." in client.get("/schedule/1/").content.decode()


def test_students_cannot_change_materials(client, course):
    client.force_login(course["staff"])
    _add(client, kind="reading", title="Kept", url="https://example.org/kept")
    kept = Material.objects.get()
    client.force_login(course["student"])
    assert _add(client, kind="reading", title="Mine", url="https://example.org/x").status_code == 403
    assert client.post(f"/schedule/1/materials/{kept.pk}/remove/").status_code == 403
    assert client.post(f"/schedule/1/materials/{kept.pk}/move/", {"direction": "up"}).status_code == 403
    assert list(Material.objects.values_list("title", flat=True)) == ["Kept"]


COURSE = """
schema: 1
version: "t"
offering: {{slug: t1, title: Test course, season: Test}}
session_defaults: {{room: R1}}
sessions:
  - number: 1
    date: "2026-01-06"
    block: supervised
    topic: Intro
    materials:
{materials}
"""
GOOD = """      - {kind: reading, title: "The Elements of Statistical Learning", url: "https://hastie.su.domains/ElemStatLearn/"}
      - {kind: notebook, title: "PyTorch tutorials", url: "https://pytorch.org/tutorials/"}"""


def test_course_file_lists_materials_and_loads_them_idempotently(client):
    course = course_file_parse(text=COURSE.format(materials=GOOD))
    assert [m.title for m in course.sessions[0].materials] == [
        "The Elements of Statistical Learning",
        "PyTorch tutorials",
    ]
    first = course_load(course=course)
    assert sum("material" in c for c in first.created) == 2
    again = course_load(course=course)
    assert not again.changed
    assert Material.objects.filter(from_course_file=True).count() == 2
    # a staff upload is kept when the file is loaded again; a material the file drops is removed
    session = Material.objects.first().session
    Material.objects.create(session=session, kind="link", title="Staff link", url="https://example.org/")
    fewer = course_file_parse(text=COURSE.format(materials=GOOD.splitlines()[0]))
    report = course_load(course=fewer)
    assert report.removed == ["session 1 material 'PyTorch tutorials'"]
    assert sorted(Material.objects.values_list("title", flat=True)) == [
        "Staff link",
        "The Elements of Statistical Learning",
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('      - {kind: slides, title: "x", url: "javascript:alert(1)"}', "sessions[0].materials[0].url"),
        ('      - {kind: video, title: "x", url: "https://example.org/"}', "sessions[0].materials[0].kind"),
        (
            '      - {kind: slides, url: "https://example.org/"}',
            "sessions[0].materials[0].title: is required",
        ),
        ('      - {kind: slides, title: "x"}', "sessions[0].materials[0].url: is required"),
    ],
)
def test_course_file_rejects_a_bad_material_with_its_place(line, problem):
    with pytest.raises(CourseFileError) as info:
        course_file_parse(text=COURSE.format(materials=line))
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_session_page_links_its_published_notes(client, course):
    call_command("load_demo_notes", "--season", course["offering"].slug, stdout=StringIO())
    client.force_login(course["student"])
    html = client.get("/schedule/1/").content.decode()
    assert 'href="/notes/s26/session-1/"' in html
    assert "No group has signed up to scribe this session yet." not in html


def test_admin_pages_of_a_session_with_an_uploaded_material_work(client, course):
    client.force_login(course["staff"])
    _add(client, kind="slides", title="Deck", file=SimpleUploadedFile("deck.pdf", PDF))
    material = Material.objects.get()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/lectures/session/{course['session'].pk}/change/")
    assert page.status_code == 200
    assert f'href="/schedule/1/materials/{material.pk}/download/"' in page.content.decode()
    assert client.get(f"/admin/lectures/material/{material.pk}/change/").status_code == 200

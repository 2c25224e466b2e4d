"""Stored files are served only through views that check access, in every settings module: nothing serves
MEDIA_URL, student files and feedback come as attachments with `nosniff`, staff-posted PDFs open inline under a
sandboxing CSP, and a hand-in whose content does not match its claimed type is refused."""

from __future__ import annotations

import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, clear_url_caches, resolve, reverse

from courseweb.courses.models import Role
from courseweb.homework.models import Deliverable
from courseweb.homework.services.manual import deliverable_file_create
from courseweb.lectures.models import Material
from courseweb.lectures.services import material_add_file
from tests.factories import CourseworkItemFactory, EnrollmentFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def debug_urls(settings):
    """The URL map as `runserver` with DEBUG=True builds it."""
    import courseweb.urls

    settings.DEBUG = True
    clear_url_caches()
    importlib.reload(courseweb.urls)
    yield
    settings.DEBUG = False
    importlib.reload(courseweb.urls)
    clear_url_caches()


@pytest.mark.parametrize(
    "path",
    [
        "/media/homework/submissions/ab/abcdef.ipynb",
        "/media/homework/feedback/1/tiny.html",
        "/media/homework/deliverables/ab/abcdef.pdf",
    ],
)
def test_no_url_serves_media_files_even_in_debug(debug_urls, settings, path):
    with pytest.raises(Resolver404):
        resolve(path)


@pytest.fixture
def item(offering):
    return CourseworkItemFactory(
        offering=offering, slug="replication", kind="replication", category="replication"
    )


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("report.html", PDF),  # would be served as text/html
        ("report.pdf", PNG),
        ("figure.png", PDF),
        ("code.zip", PDF),
        ("photo.jpg", PNG),
        ("report", PDF),
    ],
)
def test_a_hand_in_whose_content_does_not_match_its_type_is_refused(item, pair, hw_media, filename, data):
    with pytest.raises(ValueError, match="does not match"):
        deliverable_file_create(user=pair[0], item=item, label="report", filename=filename, data=data)
    assert not Deliverable.objects.exists()


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("report.pdf", PDF),
        ("figure.PNG", PNG),
        ("slides.pptx", b"PK\x03\x04rest"),
        ("p.jpeg", b"\xff\xd8\xffx"),
    ],
)
def test_a_hand_in_whose_content_matches_its_type_is_kept(item, pair, hw_media, filename, data):
    deliverable_file_create(user=pair[0], item=item, label="report", filename=filename, data=data)
    assert Deliverable.objects.get().filename == filename


def test_the_web_hand_in_explains_a_mismatch(client, item, pair, hw_media):
    client.force_login(pair[0])
    upload = SimpleUploadedFile("report.html", PDF, "text/html")
    response = client.post(
        reverse("homework:item", args=[item.slug]), {"action": "file", "label": "report", "file": upload}
    )
    assert "does not match" in response.content.decode()
    assert not Deliverable.objects.exists()


def test_a_hand_in_downloads_as_an_attachment_that_is_never_sniffed(client, item, pair, hw_media):
    deliverable = deliverable_file_create(user=pair[0], item=item, label="report", filename="r.pdf", data=PDF)
    client.force_login(pair[1])
    response = client.get(reverse("homework:deliverable", args=[deliverable.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == PDF


def test_the_released_notebook_downloads_as_an_attachment_that_is_never_sniffed(client, tiny, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:download", args=["tiny", "tiny"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.fixture
def materials(settings, tmp_path, offering, sessions):
    settings.MATERIALS_ROOT = tmp_path / "materials"
    ta = UserFactory()
    EnrollmentFactory(user=ta, offering=offering, role=Role.TA)
    session = sessions[0]
    pdf = material_add_file(
        session=session, kind="slides", title="Slides", upload=SimpleUploadedFile("s1.pdf", PDF), user=ta
    )
    fake = material_add_file(
        session=session,
        kind="slides",
        title="Not a PDF",
        upload=SimpleUploadedFile("fake.pdf", b"<html><script>alert(1)</script>"),
        user=ta,
    )
    page = material_add_file(
        session=session,
        kind="reading",
        title="Page",
        upload=SimpleUploadedFile("page.html", b"<script>alert(1)</script>"),
        user=ta,
    )
    return session, pdf, fake, page


def _download(client, material: Material):
    return client.get(f"/schedule/{material.session.number}/materials/{material.pk}/download/")


def test_a_staff_pdf_opens_inline_under_a_sandboxing_csp(client, materials, solo):
    _session, pdf, _fake, _page = materials
    client.force_login(solo)
    response = _download(client, pdf)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in [d.strip() for d in response["Content-Security-Policy"].split(";")]


def test_a_material_that_is_not_really_a_pdf_or_is_a_page_is_an_inert_attachment(client, materials, solo):
    _session, _pdf, fake, page = materials
    client.force_login(solo)
    for material in (fake, page):
        response = _download(client, material)
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "html" not in response["Content-Type"]

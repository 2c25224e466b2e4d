"""The scribing workflow: assign, preview, submit, request changes, resubmit, publish; who sees drafts."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from courseweb.notes import scribing
from courseweb.notes.models import BookPage, NoteEvent, NoteStatus, ScribedNote
from tests.courseweb.notes.factories import scribing_setup
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

NOTE_V1 = """# Policy gradients

The objective is $J(\\theta) = \\mathbb{E}_{\\tau \\sim \\pi_\\theta}[R(\\tau)]$.

$$
\\nabla_\\theta J(\\theta) = \\mathbb{E}\\Big[\\sum_t \\nabla_\\theta \\log \\pi_\\theta(a_t \\mid s_t)\\, G_t\\Big]
$$ (1)
"""
NOTE_V2 = NOTE_V1 + "\n## Baselines\n\nSubtracting $b(s_t)$ keeps the gradient unbiased.\n"


@pytest.fixture
def s():
    data = scribing_setup()
    scribing.note_assign(session=data["session"], group=data["group"], actor=data["ta"])
    return data


def edit_url(s) -> str:
    return f"/notes/scribe/session/{s['session'].pk}/"


def test_full_cycle_submit_request_changes_resubmit_publish(client, s):
    member, ta = s["members"][0], s["ta"]
    client.force_login(member)
    preview = client.post(edit_url(s), {"markdown": NOTE_V1, "action": "preview"}).content.decode()
    assert 'class="note-preview notes"' in preview and 'id="eq-1"' in preview and "katex-display" in preview
    assert ScribedNote.objects.get(session=s["session"]).versions.count() == 0  # preview saves nothing

    response = client.post(edit_url(s), {"markdown": NOTE_V1, "action": "submit"})
    note = ScribedNote.objects.get(session=s["session"])
    assert response.status_code == 302 and response["Location"] == f"/notes/scribe/note/{note.pk}/"
    assert note.status == NoteStatus.SUBMITTED and note.title == "Policy gradients"

    client.force_login(ta)
    client.post(
        f"/notes/scribe/note/{note.pk}/review/", {"action": "request_changes", "body": "Add baselines."}
    )
    note.refresh_from_db()
    assert note.status == NoteStatus.CHANGES_REQUESTED

    client.force_login(member)
    page = client.get(f"/notes/scribe/note/{note.pk}/").content.decode()
    assert "Add baselines." in page and "Changes requested" in page
    client.post(edit_url(s), {"markdown": NOTE_V2, "action": "submit"})
    note.refresh_from_db()
    assert note.status == NoteStatus.SUBMITTED and note.versions.count() == 2

    diff = client.get(f"/notes/scribe/note/{note.pk}/diff/1/2/").content.decode()
    assert '<span class="diff-add">+## Baselines</span>' in diff

    client.force_login(ta)
    client.post(f"/notes/scribe/note/{note.pk}/review/", {"action": "publish", "body": ""})
    note.refresh_from_db()
    assert note.status == NoteStatus.PUBLISHED and note.published_version.number == 2
    kinds = list(NoteEvent.objects.filter(note=note).values_list("kind", flat=True))
    assert kinds == ["assigned", "submitted", "changes_requested", "submitted", "published"]

    book_page = BookPage.objects.get(note=note)
    assert book_page.slug == "session-3" and "Baselines" in book_page.html
    public = client.get(f"/notes/{s['offering'].slug}/session-3/").content.decode()
    assert 'id="eq-1"' in public and 'class="katex"' in public


def test_only_the_group_and_staff_see_drafts(client, s):
    version = scribing.note_version_create(
        note=scribing.note_for_session(session=s["session"]), author=None, markdown=NOTE_V1
    )
    note_url = f"/notes/scribe/note/{version.note_id}/"
    client.force_login(s["members"][1])
    assert client.get(note_url).status_code == 200
    client.force_login(s["ta"])
    assert client.get(note_url).status_code == 200
    client.force_login(s["outsider"])
    response = client.get(note_url)
    assert response.status_code == 403
    assert client.get(f"/notes/scribe/note/{version.note_id}/diff/1/1/").status_code == 403
    assert client.get(edit_url(s)).status_code == 403
    assert client.post(edit_url(s), {"markdown": "x", "action": "submit"}).status_code == 403
    assert client.post(f"{note_url}review/", {"action": "publish"}).status_code == 403
    assert client.get("/notes/scribe/note/999999/").status_code == 404
    client.logout()
    assert client.get(note_url).status_code == 302
    # Drafts are not in the book before publication.
    assert not BookPage.objects.filter(note_id=version.note_id).exists()


def test_students_cannot_publish_or_request_changes(client, s):
    note = scribing.note_for_session(session=s["session"])
    scribing.note_version_create(note=note, author=None, markdown=NOTE_V1)
    client.force_login(s["members"][0])
    assert client.post(f"/notes/scribe/note/{note.pk}/review/", {"action": "publish"}).status_code == 403
    note.refresh_from_db()
    assert note.status == NoteStatus.SUBMITTED


def test_tex_upload_is_converted(client, s):
    tex = (
        b"\\documentclass{article}\\begin{document}\\section{Returns}\n"
        b"The return is \\(G_t = \\sum_k \\gamma^k r_{t+k}\\).\n"
        b"\\begin{equation}V(s) = \\mathbb{E}[G_t \\mid s_t = s]\\end{equation}\n\\end{document}\n"
    )
    client.force_login(s["members"][0])
    upload = SimpleUploadedFile("note.tex", tex, content_type="application/x-tex")
    client.post(edit_url(s), {"markdown": "", "upload": upload, "action": "submit"})
    version = ScribedNote.objects.get(session=s["session"]).versions.get()
    assert version.source_format == "tex" and version.original_tex.startswith("\\documentclass")
    assert "## Returns" in version.markdown and "$G_t = \\sum_k \\gamma^k r_{t+k}$" in version.markdown
    assert 'id="eq-1"' in version.html and version.math_errors == []


def test_staff_assign_a_group_and_the_group_sees_its_session(client, s):
    other = s["other_session"]
    client.force_login(s["ta"])
    client.post(f"/notes/scribe/session/{other.pk}/assign/", {"group": s["outsider_group"].pk})
    assert ScribedNote.objects.get(session=other).group == s["outsider_group"]
    client.force_login(s["outsider"])
    home = client.get("/notes/scribe/").content.decode()
    assert "Supervised learning" in home and "Policy gradients" not in home
    assert client.get(f"/notes/scribe/session/{other.pk}/").status_code == 200
    client.force_login(s["members"][0])
    assert (
        client.post(f"/notes/scribe/session/{other.pk}/assign/", {"group": s["group"].pk}).status_code == 403
    )


def test_sign_up_group_on_the_session_can_scribe(client, s):
    session = SessionFactory(offering=s["offering"], number=7, scribing_group=s["outsider_group"])
    client.force_login(s["outsider"])
    assert client.get(f"/notes/scribe/session/{session.pk}/").status_code == 200
    client.force_login(s["members"][0])
    assert client.get(f"/notes/scribe/session/{session.pk}/").status_code == 403


def test_workflow_rules():
    data = scribing_setup()
    note = scribing.note_assign(session=data["session"], group=data["group"], actor=data["ta"])
    with pytest.raises(ValidationError, match=scribing.ERROR_NOTHING_TO_PUBLISH):
        scribing.note_publish(note=note, author=data["ta"])
    with pytest.raises(ValidationError, match=scribing.ERROR_EMPTY):
        scribing.note_version_create(note=note, author=None, markdown="   ")
    scribing.note_version_create(note=note, author=None, markdown=NOTE_V1)
    with pytest.raises(ValidationError, match=scribing.ERROR_UNCHANGED):
        scribing.note_version_create(note=note, author=None, markdown=NOTE_V1)
    with pytest.raises(ValidationError, match=scribing.ERROR_EMPTY_COMMENT):
        scribing.note_request_changes(note=note, author=data["ta"], body="")
    scribing.note_publish(note=note, author=data["ta"])
    with pytest.raises(ValidationError, match=scribing.ERROR_NOT_SUBMITTED):
        scribing.note_request_changes(note=note, author=data["ta"], body="late")


def test_published_notes_are_ordered_by_session(s):
    for session in (s["session"], s["other_session"]):
        note = scribing.note_for_session(session=session)
        if note.group is None:
            note = scribing.note_assign(session=session, group=s["outsider_group"], actor=s["ta"])
        scribing.note_version_create(
            note=note, author=None, markdown=f"# Session {session.number}\n\nText $x$.\n"
        )
        scribing.note_publish(note=note, author=s["ta"])
    pages = list(BookPage.objects.filter(book__offering=s["offering"]).values_list("slug", flat=True))
    assert pages == ["session-1", "session-3"]


def test_bad_math_is_reported_in_the_preview(client, s):
    client.force_login(s["members"][0])
    html = client.post(
        edit_url(s), {"markdown": "Broken $\\frac{1}{$ here.", "action": "preview"}
    ).content.decode()
    assert "1 formula could not be rendered" in html and "katex-error" in html


def test_demo_notes_load_and_are_idempotent(client):
    data = scribing_setup()
    SessionFactory(offering=data["offering"], number=2, topic="Deep learning")
    out = io.StringIO()
    call_command("load_demo_notes", "--season", data["offering"].slug, stdout=out)
    assert out.getvalue().count("(Published)") == 2
    pages = BookPage.objects.filter(book__offering=data["offering"]).order_by("position")
    assert [p.slug for p in pages] == ["session-1", "session-2"]
    assert "cross-validation" in pages[0].html and 'id="eq-2"' in pages[1].html
    versions = sorted(ScribedNote.objects.values_list("versions__id", flat=True))
    call_command("load_demo_notes", "--season", data["offering"].slug, verbosity=0)
    assert sorted(ScribedNote.objects.values_list("versions__id", flat=True)) == versions
    html = client.get(f"/notes/{data['offering'].slug}/").content.decode()
    assert 'href="/notes/s26/session-1/"' in html


def test_session_page_lookup_for_the_schedule(s):
    from courseweb.notes.selectors import note_page_for_session

    note = scribing.note_for_session(session=s["session"])
    scribing.note_version_create(note=note, author=None, markdown=NOTE_V1)
    assert note_page_for_session(session=s["session"]) is None
    scribing.note_publish(note=note, author=s["ta"])
    page = note_page_for_session(session=s["session"])
    assert page.slug == "session-3" and page.book.offering.slug == s["offering"].slug

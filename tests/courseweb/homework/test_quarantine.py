"""An upload that arrives after the session expired is kept, offered after logging in, and submitted in one click.

Defect 4 of issue 10: choosing a file, letting the session expire and pressing "Upload and grade" led to the log-in
page, then an HTTP 405 on /homework/<key>/submit/, and the file was gone. The anonymous client below is exactly
that browser: a valid CSRF cookie, no session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courseweb.homework import storage
from courseweb.homework.models import Deliverable, GradingJob, Submission
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes
from tests.factories import PASSWORD, CourseworkItemFactory

ADDRESS = "198.51.100.23"


def _post_expired(client, key: str, data: bytes, *, name: str = "tiny.ipynb", address: str = ADDRESS):
    """Press "Upload and grade" with no session (it expired): the anonymous POST the browser sends."""
    return client.post(
        reverse("homework:submit", args=[key]),
        {"notebook": SimpleUploadedFile(name, data, content_type="application/json")},
        REMOTE_ADDR=address,
    )


def _next(response) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    location = urlparse(response["Location"])
    assert location.path == reverse("login")
    return parse_qs(location.query)["next"][0]


def _log_in(client, user, next_url: str):
    """Log in through the log-in page with the `next` the redirect carried, as the browser does."""
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == next_url
    return response


@pytest.fixture
def notebook(released) -> bytes:
    return to_bytes(student_notebook(released, ANSWERS_RIGHT))


def _quarantined(hw_media) -> list:
    root = hw_media / "homework" / "quarantine"
    return sorted(p for p in root.glob("*.bin")) if root.exists() else []


def test_expired_session_upload_is_kept_offered_and_submitted_byte_identical(
    client, tiny, notebook, solo, hw_media
):
    next_url = _next(_post_expired(client, "tiny", notebook))
    assert next_url.startswith("/homework/")
    # kept, never graded, nothing recorded yet
    assert not Submission.objects.exists() and not GradingJob.objects.exists()
    assert len(_quarantined(hw_media)) == 1
    login_page = client.get(reverse("login") + f"?next={next_url}").content.decode()
    assert "We kept tiny.ipynb" in login_page

    _log_in(client, solo, next_url)
    offer = client.get(next_url)
    assert offer.status_code == 200
    html = offer.content.decode()
    assert "Your session expired; we kept tiny.ipynb. Submit it?" in html
    assert not Submission.objects.exists() and not GradingJob.objects.exists()

    done = client.post(next_url, {"action": "submit"})
    sub = Submission.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("homework:submission", args=[sub.pk])
    stored = storage.file_read(sub.storage_path)
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(notebook).hexdigest() == sub.content_hash
    assert stored == notebook and sub.submitted_by == solo and sub.filename == "tiny.ipynb"
    assert GradingJob.objects.filter(submission=sub).count() == 1
    # claimed once: the kept copy is gone and the link does not submit twice
    assert _quarantined(hw_media) == []
    again = client.post(next_url, {"action": "submit"})
    assert again.status_code == 404 and Submission.objects.count() == 1


def test_get_on_the_submit_url_shows_the_assignment_instead_of_405(client, tiny, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:submit", args=["tiny"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("homework:assignment", args=["tiny"])
    anonymous = Client().get(reverse("homework:submit", args=["tiny"]))
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_expired_post_without_a_file_explains_and_returns_to_the_assignment(client, tiny, solo):
    response = client.post(reverse("homework:submit", args=["tiny"]), {}, REMOTE_ADDR=ADDRESS)
    next_url = _next(response)
    assert next_url == reverse("homework:assignment", args=["tiny"])
    page = client.get(response["Location"]).content.decode()
    assert "Your session expired, so nothing was uploaded" in page


def test_a_tampered_token_is_refused(client, tiny, notebook, solo, hw_media):
    next_url = _next(_post_expired(client, "tiny", notebook))
    token = next_url.rstrip("/").rsplit("/", 1)[1]
    _log_in(client, solo, next_url)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token + "x", "not-a-token"):
        response = client.post(reverse("homework:kept", args=[bad]), {"action": "submit"})
        assert response.status_code == 404
        assert "This link to a kept file is not valid" in response.content.decode()
    assert not Submission.objects.exists()
    # the genuine token still works
    assert client.post(next_url, {"action": "submit"}).status_code == 302
    assert Submission.objects.count() == 1


def test_another_user_cannot_claim_someone_elses_kept_file(client, tiny, notebook, solo, pair, hw_media):
    next_url = _next(_post_expired(client, "tiny", notebook))
    thief = Client()
    thief.force_login(pair[0])
    for response in (thief.get(next_url), thief.post(next_url, {"action": "submit"})):
        assert response.status_code == 404
    assert not Submission.objects.exists()
    assert len(_quarantined(hw_media)) == 1
    # the browser that kept it can still submit it
    _log_in(client, solo, next_url)
    assert client.post(next_url, {"action": "submit"}).status_code == 302
    assert Submission.objects.get().submitted_by == solo


def test_logging_out_forgets_the_kept_file_for_the_next_person(client, tiny, notebook, solo, pair, hw_media):
    next_url = _next(_post_expired(client, "tiny", notebook))
    _log_in(client, solo, next_url)
    client.post(reverse("logout"))
    _log_in(client, pair[0], next_url)
    assert client.post(next_url, {"action": "submit"}).status_code == 404
    assert not Submission.objects.exists()


def test_a_kept_file_expires_after_an_hour(client, tiny, notebook, solo, hw_media):
    from courseweb.homework import quarantine

    kept_at = timezone.now()
    kept = quarantine.upload_keep(
        kind="assignment", target="tiny", filename="tiny.ipynb", data=notebook, address=ADDRESS, now=kept_at
    )
    token = quarantine.kept_token(kept)
    assert quarantine.kept_from_token(token, now=kept_at + dt.timedelta(minutes=59)) == kept
    assert quarantine.quarantine_purge(now=kept_at + dt.timedelta(minutes=59)) == 0
    assert quarantine.kept_from_token(token, now=kept_at + dt.timedelta(hours=1)) is None  # gone on access
    assert _quarantined(hw_media) == []
    # the periodic task deletes the ones nobody came back for
    other = quarantine.upload_keep(
        kind="assignment", target="tiny", filename="tiny.ipynb", data=notebook, address=ADDRESS, now=kept_at
    )
    assert quarantine.quarantine_purge(now=kept_at + dt.timedelta(hours=1, seconds=1)) == 1
    assert quarantine.kept_from_token(quarantine.kept_token(other), now=kept_at) is None
    assert _quarantined(hw_media) == []
    assert not Submission.objects.exists()


def test_the_periodic_purge_is_scheduled():
    from courseweb.celery import app

    app.loader.import_default_modules()
    assert "homework.quarantine_purge" in app.tasks
    assert any(e["task"] == "homework.quarantine_purge" for e in app.conf.beat_schedule.values())


def test_a_file_over_the_upload_limit_is_not_kept_and_the_page_says_why(
    client, tiny, notebook, settings, hw_media
):
    settings.HOMEWORK_MAX_UPLOAD_BYTES = 2**20
    response = _post_expired(client, "tiny", notebook + b" " * (3 * 2**19))
    assert response.status_code == 413
    html = response.content.decode()
    assert "Your session had expired" in html and "over the 1 MB limit" in html
    assert "not kept" in html and 'role="alert"' in html
    assert _quarantined(hw_media) == []


def test_kept_files_are_rate_limited_per_address(client, tiny, notebook, settings, hw_media):
    settings.HOMEWORK_QUARANTINE_PER_ADDRESS_PER_HOUR = 3
    for _ in range(3):
        _next(_post_expired(Client(), "tiny", notebook))
    refused = _post_expired(Client(), "tiny", notebook)
    assert refused.status_code == 429
    assert "was not kept" in refused.content.decode()
    assert len(_quarantined(hw_media)) == 3
    # another address is not affected
    _next(_post_expired(Client(), "tiny", notebook, address="203.0.113.9"))
    assert len(_quarantined(hw_media)) == 4


def test_the_kept_file_goes_through_the_normal_checks(client, synced, solo, hw_media):
    """A notebook of another assignment is refused on confirmation, as a logged-in upload would be."""
    other = json.loads((Path(synced["other"].release_dir) / "other.ipynb").read_text())
    next_url = _next(_post_expired(client, "tiny", to_bytes(other)))
    _log_in(client, solo, next_url)
    response = client.post(next_url, {"action": "submit"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="kept-error"' in html and "does not belong to Tiny homework" in html
    assert not Submission.objects.exists()


def test_expired_session_hand_in_on_an_item_page_is_kept_too(client, offering, pair, hw_media):
    CourseworkItemFactory(offering=offering, slug="proposal", kind="project", category="project", points=20)
    pdf = b"%PDF-1.5 the proposal"
    response = client.post(
        reverse("homework:item", args=["proposal"]),
        {"label": "proposal", "file": SimpleUploadedFile("p.pdf", pdf)},
        REMOTE_ADDR=ADDRESS,
    )
    next_url = _next(response)
    assert not Deliverable.objects.exists()
    _log_in(client, pair[1], next_url)
    assert "we kept p.pdf" in client.get(next_url).content.decode()
    client.post(next_url, {"action": "submit"})
    deliverable = Deliverable.objects.get()
    assert deliverable.group == pair[2] and deliverable.label == "proposal"
    assert storage.file_read(deliverable.storage_path) == pdf


def test_discarding_the_kept_file_deletes_it(client, tiny, notebook, solo, hw_media):
    next_url = _next(_post_expired(client, "tiny", notebook))
    _log_in(client, solo, next_url)
    response = client.post(next_url, {"action": "discard"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "homework:assignment", args=["tiny"]
    )
    assert _quarantined(hw_media) == [] and not Submission.objects.exists()
    assert re.search(r"tiny\.ipynb was discarded", client.get(response["Location"]).content.decode())


@pytest.mark.parametrize(
    ("url_name", "args", "page_name", "page_args"),
    [
        ("homework:regrade", ["tiny"], "homework:staff", ["tiny"]),
        ("groups:leave", [], "groups:index", []),
    ],
)
def test_an_expired_post_to_a_post_only_endpoint_returns_to_its_page_and_explains(
    client, tiny, ta, url_name, args, page_name, page_args
):
    page = reverse(page_name, args=page_args)
    response = client.post(reverse(url_name, args=args), {}, HTTP_REFERER=f"http://testserver{page}")
    next_url = _next(response)
    assert next_url == page
    assert "Your session expired, so that was not saved" in client.get(response["Location"]).content.decode()
    _log_in(client, ta, next_url)
    assert client.get(next_url).status_code == 200


def test_an_expired_post_without_a_referer_returns_home_not_to_the_post_only_url(client, tiny, ta):
    next_url = _next(client.post(reverse("homework:regrade", args=["tiny"]), {}))
    assert next_url == "/"
    other_site = client.post(
        reverse("homework:regrade", args=["tiny"]), {}, HTTP_REFERER="https://elsewhere.example/phish/"
    )
    assert _next(other_site) == "/"


def test_an_expired_link_hand_in_is_explained_with_the_link_shown(client, offering, pair):
    CourseworkItemFactory(offering=offering, slug="proposal", kind="project", category="project", points=20)
    response = client.post(
        reverse("homework:item", args=["proposal"]),
        {"label": "code", "url": "https://github.com/example/replication"},
        REMOTE_ADDR=ADDRESS,
    )
    assert _next(response) == reverse("homework:item", args=["proposal"])
    page = client.get(response["Location"]).content.decode()
    assert "was not handed in" in page and "https://github.com/example/replication" in page
    assert not Deliverable.objects.exists()

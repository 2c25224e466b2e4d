"""Announcements: sanitised Markdown with math, e-mail after commit only, pinned order, unread/read on the home
page, the archive, and the Atom feeds (public without members-only posts; a private feed at a revocable URL)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from courseweb.announcements.models import Announcement, FeedToken
from courseweb.announcements.rendering import announcement_render
from courseweb.announcements.services import announcement_post
from courseweb.celery import app as celery_app
from courseweb.courses.models import Role
from tests.factories import EnrollmentFactory, OfferingFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def course():
    offering = OfferingFactory()
    ta = StaffUserFactory(display_name="Tina TA")
    students = [UserFactory(display_name=f"Student {i}") for i in range(3)]
    for s in students:
        EnrollmentFactory(user=s, offering=offering, role=Role.STUDENT)
    outsider = UserFactory(display_name="Not enrolled")
    return {"offering": offering, "ta": ta, "students": students, "outsider": outsider}


@pytest.fixture
def eager_celery():
    """Run tasks in-process, as a worker would, so the test sees what the task sends."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _post(course, **kwargs) -> Announcement:
    defaults = {"title": "Hello", "body": "Welcome.", "pinned": False, "public": True, "email_class": False}
    return announcement_post(offering=course["offering"], author=course["ta"], **{**defaults, **kwargs})


# --- the sanitiser --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "<svg onload=alert(1)></svg>",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<form action="https://evil.example"><input name=p></form>',
        "$\\href{javascript:alert(1)}{x}$",
    ],
)
def test_sanitiser_leaves_nothing_active(source):
    html = announcement_render(source)
    tags, attributes = _markup(html)
    assert not tags & {
        "script",
        "img",
        "svg",
        "iframe",
        "style",
        "meta",
        "form",
        "input",
        "object",
        "embed",
    }, html
    for name, value in attributes:
        assert not name.startswith("on"), html
        assert not (value or "").strip().lower().startswith("javascript:"), html


def _markup(html: str) -> tuple[set[str], list[tuple[str, str | None]]]:
    """Every element and attribute the browser would build from `html`."""
    from html.parser import HTMLParser

    tags: set[str] = set()
    attributes: list[tuple[str, str | None]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.add(tag)
            attributes.extend(attrs)

    Collect().feed(html)
    return tags, attributes


def test_sanitiser_keeps_markdown_links_and_renders_math():
    html = announcement_render(
        "# Week 3\n\nRead **this** [paper](https://arxiv.org/abs/1234) before class: $\\sqrt{x^2}$.\n\n"
        "$$\\frac{a}{b}$$\n"
    )
    assert "<h3>Week 3</h3>" in html  # below the page's own headings
    assert "<strong>this</strong>" in html
    assert re.search(
        r'<a href="https://arxiv.org/abs/1234" rel="noopener noreferrer nofollow">paper</a>', html
    )
    assert html.count('class="katex"') == 2 and "katex-display" in html
    assert '<annotation encoding="application/x-tex">\\sqrt{x^2}</annotation>' in html
    assert "$" not in html


def test_raw_html_is_shown_as_text_not_markup():
    html = announcement_render("Use <b>bold</b> & <script>x()</script>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;" in html


# --- e-mail after commit ---------------------------------------------------------------------------------------


def test_email_goes_out_only_after_commit_and_once(course, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        a = _post(course, title="Room change", body="Room $R_1$ today.", email_class=True)
        assert mail.outbox == []  # nothing before the transaction commits
    assert len(callbacks) == 1 and mail.outbox == []
    callbacks[0]()  # the commit
    recipients = sorted(m.to[0] for m in mail.outbox)
    expected = sorted([s.email for s in course["students"]] + [course["ta"].email])
    assert recipients == expected  # one message each: nobody sees the others' addresses
    assert course["outsider"].email not in recipients
    message = mail.outbox[0]
    assert "Room change" in message.subject and "Room $R_1$ today." in message.body
    assert reverse("announcements:detail", args=[a.pk]) in message.body
    assert 'class="katex"' in message.alternatives[0][0]
    a.refresh_from_db()
    assert a.emailed_at is not None
    callbacks[0]()  # a repeated task (retry, second worker) sends nothing more
    assert len(mail.outbox) == len(expected)


def test_rolled_back_post_sends_nothing(course, eager_celery):
    with pytest.raises(RuntimeError), transaction.atomic():
        _post(course, email_class=True)
        raise RuntimeError("rolled back")
    assert mail.outbox == [] and not Announcement.objects.exists()


def test_without_email_nothing_is_sent(course, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _post(course, email_class=False)
    assert callbacks == [] and mail.outbox == []


def test_staff_form_posts_and_queues_email_after_commit(
    client, course, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(course["ta"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("announcements:create"),
            {"title": "Homework 2 is out", "body": "Due in two weeks: $\\alpha$", "email_class": "on",
             "public": "on"},
        )  # fmt: skip
    a = Announcement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "announcements:detail", args=[a.pk]
    )
    assert a.author == course["ta"] and a.public and not a.pinned
    assert len(mail.outbox) == 4


def test_students_cannot_post_and_an_empty_form_says_what_is_missing(client, course):
    client.force_login(course["students"][0])
    assert client.get(reverse("announcements:create")).status_code == 403
    assert client.post(reverse("announcements:create"), {"title": "x", "body": "y"}).status_code == 403
    client.force_login(course["ta"])
    page = client.post(reverse("announcements:create"), {"title": "", "body": ""})
    assert page.status_code == 400
    text = page.content.decode()
    assert "Give the announcement a title." in text and "Write the announcement&#x27;s text." in text
    assert '<label for="id_title">' in text
    assert not Announcement.objects.exists()


# --- order, unread and read ------------------------------------------------------------------------------------


def test_pinned_first_then_newest(client, course):
    old_pinned = _post(course, title="Pinned long ago", pinned=True)
    older = _post(course, title="Older")
    newer = _post(course, title="Newer")
    Announcement.objects.filter(pk=old_pinned.pk).update(published_at=older.published_at.replace(year=2020))
    client.force_login(course["students"][0])
    text = client.get(reverse("announcements:index")).content.decode()
    positions = [text.index(f"announcement-{a.pk}") for a in (old_pinned, newer, older)]
    assert positions == sorted(positions)


def test_unread_on_home_until_marked_read(client, course):
    a = _post(course, title="Exam room", body="Meet in $LT_5$.")
    b = _post(course, title="Quiz moved")
    student = course["students"][0]
    client.force_login(student)
    home = client.get(reverse("home")).content.decode()
    assert (
        'id="unread-announcements"' in home
        and f'id="unread-{a.pk}"' in home
        and f'id="unread-{b.pk}"' in home
    )
    assert 'class="katex"' in home and "katex.min.css" in home
    response = client.post(reverse("announcements:read", args=[a.pk]), {"next": reverse("home")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert f'id="unread-{a.pk}"' not in home and f'id="unread-{b.pk}"' in home
    # still in the archive, no longer marked unread there
    archive = client.get(reverse("announcements:index")).content.decode()
    assert "Exam room" in archive and archive.count(">unread</span>") == 1
    client.post(reverse("announcements:read_all"))
    assert 'id="unread-announcements"' not in client.get(reverse("home")).content.decode()
    # another student's state is their own; the author has read their own post
    client.force_login(course["students"][1])
    assert f'id="unread-{a.pk}"' in client.get(reverse("home")).content.decode()
    client.force_login(course["ta"])
    assert 'id="unread-announcements"' not in client.get(reverse("home")).content.decode()


def test_members_only_posts_are_hidden_from_outsiders(client, course):
    private = _post(course, title="Members only note", public=False)
    public = _post(course, title="Public note")
    assert "Members only note" not in client.get(reverse("announcements:index")).content.decode()
    assert client.get(reverse("announcements:detail", args=[private.pk])).status_code == 404
    assert client.get(reverse("announcements:detail", args=[public.pk])).status_code == 200
    client.force_login(course["outsider"])
    assert client.get(reverse("announcements:detail", args=[private.pk])).status_code == 404
    client.force_login(course["students"][0])
    assert client.get(reverse("announcements:detail", args=[private.pk])).status_code == 200


def test_staff_edit_and_delete(client, course):
    a = _post(course, title="Typo")
    client.force_login(course["students"][0])
    assert client.post(reverse("announcements:delete", args=[a.pk])).status_code == 403
    client.force_login(course["ta"])
    response = client.post(
        reverse("announcements:edit", args=[a.pk]), {"title": "Fixed", "body": "*now* right", "pinned": "on"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.title == "Fixed" and a.pinned and not a.public and "<em>now</em>" in a.body_html
    client.post(reverse("announcements:delete", args=[a.pk]))
    assert not Announcement.objects.exists()


# --- feeds -----------------------------------------------------------------------------------------------------


def _entries(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    return [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]


def test_public_feed_is_atom_and_excludes_members_only(client, course):
    _post(course, title="Public news", body="Math $x$")
    _post(course, title="Members news", public=False)
    response = client.get("/announcements/feed/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert _entries(response.content) == ["Public news"]


def test_private_feed_at_a_secret_revocable_url(client, course):
    _post(course, title="Public news")
    _post(course, title="Members news", public=False)
    student = course["students"][0]
    client.force_login(student)
    page = client.get(reverse("announcements:feeds"))
    assert page.status_code == 200 and 'id="feed-url"' not in page.content.decode()
    client.post(reverse("announcements:feed_regenerate"))
    token = FeedToken.objects.get(user=student).token
    assert f"/announcements/feed/{token}/" in client.get(reverse("announcements:feeds")).content.decode()
    client.logout()  # feed readers cannot log in
    url = f"/announcements/feed/{token}/"
    response = client.get(url)
    assert response.status_code == 200 and sorted(_entries(response.content)) == [
        "Members news",
        "Public news",
    ]
    assert response["Referrer-Policy"] == "no-referrer"
    client.force_login(student)
    client.post(reverse("announcements:feed_regenerate"))  # the old URL stops working
    new = FeedToken.objects.get(user=student).token
    assert new != token
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(f"/announcements/feed/{new}/").status_code == 200
    client.force_login(student)
    client.post(reverse("announcements:feed_revoke"))
    client.logout()
    assert client.get(f"/announcements/feed/{new}/").status_code == 404
    assert client.get("/announcements/feed/not-a-token/").status_code == 404


def test_private_feed_of_an_outsider_has_public_posts_only(client, course):
    _post(course, title="Public news")
    _post(course, title="Members news", public=False)
    client.force_login(course["outsider"])
    client.post(reverse("announcements:feed_regenerate"))
    token = FeedToken.objects.get(user=course["outsider"]).token
    client.logout()
    assert _entries(client.get(f"/announcements/feed/{token}/").content) == ["Public news"]

"""Staff tables (sorted by concern, with comments and flags), the CSV, the history plot, the release of buddy
comments, and confidentiality: a student never sees a buddy's ratings or comments for staff on any peer URL."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from courseweb.peer.models import PeerItemSetting
from courseweb.peer.services import comments_release, evaluations_open, response_save
from tests.factories import EnrollmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_NOTE = "staff-only-note-7Q"
BUDDY_NOTE = "buddy-note-9Z"


@pytest.fixture
def rated(offering, item, pair):
    a, b, _ = pair
    (evaluation,) = evaluations_open(offering=offering, now=timezone.now())
    response_save(evaluation=evaluation, rater=a, points={a.pk: 100, b.pk: 100}, now=timezone.now())
    response_save(
        evaluation=evaluation,
        rater=b,
        points={a.pk: 135, b.pk: 65},
        staff_comment=STAFF_NOTE,
        buddy_comment=BUDDY_NOTE,
        now=timezone.now(),
    )
    return evaluation


@pytest.fixture
def calm_pair(offering):
    c, d = UserFactory(display_name="Cy"), UserFactory(display_name="Di")
    for user in (c, d):
        EnrollmentFactory(user=user, offering=offering, role="student")
    m = MembershipFactory(user=c, group__offering=offering)
    MembershipFactory(user=d, group=m.group)
    return c, d


def test_item_table_sorts_by_concern_and_shows_comments_and_flags(
    client, offering, item, pair, calm_pair, ta
):
    a, b, _ = pair
    c, d = calm_pair
    evaluations = evaluations_open(offering=offering, now=timezone.now())
    by_group = {e.group_id: e for e in evaluations}
    calm = next(e for e in evaluations if c.pk in e.member_ids)
    response_save(evaluation=calm, rater=c, points={c.pk: 100, d.pk: 100}, now=timezone.now())
    response_save(evaluation=calm, rater=d, points={c.pk: 100, d.pk: 100}, now=timezone.now())
    pair_eval = by_group[pair[2].pk]
    response_save(
        evaluation=pair_eval,
        rater=b,
        points={a.pk: 150, b.pk: 50},
        staff_comment=STAFF_NOTE,
        now=timezone.now(),
    )
    client.force_login(ta)
    page = client.get(reverse("peer:item", args=[item.slug])).content.decode()
    assert STAFF_NOTE in page
    assert "Evaluation missing" in page  # a never answered
    table = page[page.index("<tbody>") :]
    assert table.index("Ada") < table.index("Cy") and table.index("Ada") < table.index("Di")  # flagged first


def test_csv_export_has_one_line_per_member(client, offering, item, rated, ta):
    client.force_login(ta)
    response = client.get(reverse("peer:csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    ada = next(r for r in rows if r["student"] == "Ada")
    assert (ada["claimed"], ada["perceived"], ada["difference"], ada["factor"]) == (
        "100",
        "135",
        "-35",
        "1.05",
    )
    assert "underconfident" in ada["flags"]
    bo = next(r for r in rows if r["student"] == "Bo")
    assert bo["comment_for_staff"] == STAFF_NOTE and bo["factor"] == "1"


def test_history_plot_is_a_cached_png(client, offering, item, rated, ta, settings, tmp_path):
    settings.GRADEBOOK_PLOT_DIR = tmp_path / "plots"
    client.force_login(ta)
    url = reverse("peer:history", args=[rated.member_ids[0]])
    first = client.get(url)
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert len(list((tmp_path / "plots").glob("*.png"))) == 1
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_buddy_comments_release_only_after_close_and_without_names(client, offering, item, pair, rated, ta):
    a = pair[0]
    with pytest.raises(ValidationError):
        comments_release(item=item, by=ta, now=timezone.now())
    client.force_login(a)
    assert BUDDY_NOTE not in client.get(reverse("peer:index")).content.decode()
    comments_release(item=item, by=ta, now=rated.closes_at)
    assert PeerItemSetting.objects.get(item=item).comments_released_at == rated.closes_at
    page = client.get(reverse("peer:index")).content.decode()
    section = page[page.index("Comments from your buddy") : page.index("<footer")]
    assert BUDDY_NOTE in section and "Bo" not in section


def _peer_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "peer":
            return [p for p in pattern.url_patterns if isinstance(p, URLPattern)]
    raise AssertionError("the peer app's URLs are not mounted")


def _kwargs(pattern: URLPattern, *, evaluation, item, buddy) -> dict:
    values = {"pk": evaluation.pk, "slug": item.slug, "user_id": buddy.pk}
    return {name: values[name] for name in pattern.pattern.converters}


def test_student_never_sees_buddy_ratings_or_staff_comments_on_any_peer_url(
    client, offering, item, pair, rated
):
    a, b, _ = pair
    client.force_login(a)
    seen = set()
    for pattern in _peer_patterns():
        url = reverse(f"peer:{pattern.name}", kwargs=_kwargs(pattern, evaluation=rated, item=item, buddy=b))
        response = client.get(url)
        seen.add(pattern.name)
        assert response.status_code in (200, 302, 403, 404), url
        body = response.content.decode(errors="replace")
        assert STAFF_NOTE not in body, url
        assert BUDDY_NOTE not in body, url  # not released yet
        assert 'value="135" selected' not in body and 'value="65" selected' not in body, url
        if pattern.name in ("staff", "csv", "item", "history"):
            assert response.status_code == 403, url
    assert seen == {p.name for p in _peer_patterns()}
    # and another group's member cannot open this group's evaluation
    outsider = UserFactory()
    EnrollmentFactory(user=outsider, offering=offering, role="student")
    client.force_login(outsider)
    assert client.get(reverse("peer:evaluate", args=[rated.pk])).status_code == 404

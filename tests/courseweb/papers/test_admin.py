"""The catalogue's admin pages load with their list displays, filters and search."""

from __future__ import annotations

import pytest

from courseweb.papers.models import PaperEligibility
from courseweb.papers.services import paper_import_text
from tests.courseweb.papers.factories import PaperFactory, PaperTagFactory
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_paper_changelist_search_and_filters(admin_client):
    paper_import_text(text="@article{a, title={Coupon Targeting with Deep RL}, doi={10.1287/x.1}, year=2022}")
    PaperFactory(title="Something Else")
    html = admin_client.get("/admin/papers/paper/?q=coupon").content.decode()
    assert "Coupon Targeting with Deep RL" in html and "Something Else" not in html
    html = admin_client.get("/admin/papers/paper/?sources__format=bibtex").content.decode()
    assert "Coupon Targeting with Deep RL" in html and "Something Else" not in html
    assert "10.1287/x.1" in html  # the DOI column


@pytest.mark.parametrize("model", ["paper", "importbatch", "tag", "papertag", "papereligibility"])
def test_every_catalogue_admin_page_loads(admin_client, model):
    paper_tag = PaperTagFactory()
    PaperEligibility.objects.create(paper=paper_tag.paper, offering=OfferingFactory())
    paper_import_text(text="2401.00001")
    assert admin_client.get(f"/admin/papers/{model}/").status_code == 200
    assert admin_client.get(f"/admin/papers/paper/{paper_tag.paper_id}/change/").status_code == 200

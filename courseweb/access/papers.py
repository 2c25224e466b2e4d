"""Who may read and who may curate the paper catalogue.

Students and staff of the current offering read the catalogue; staff (TAs, instructors, superusers) import,
confirm tags and mark papers eligible.  `access_*` helpers fetch an object and check the user in one call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courseweb.access import is_course_staff, role_in
from courseweb.courses.selectors import offering_current
from courseweb.papers.models import ImportBatch, Paper, PaperTag
from courseweb.papers.selectors import import_batch_get, paper_get

if TYPE_CHECKING:
    from courseweb.access import SiteUser

ERROR_CATALOGUE_MEMBERS_ONLY = "The paper catalogue is for the students and staff of the course."
ERROR_CURATE_STAFF_ONLY = "Only the course staff can change the paper catalogue."
ERROR_NO_PAPER = "No such paper."


def can_curate_papers(user: SiteUser) -> bool:
    return is_course_staff(user, offering_current())


def can_view_catalogue(user: SiteUser) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return can_curate_papers(user) or role_in(user, offering_current()) is not None


def check_catalogue_view(user: SiteUser) -> None:
    if not can_view_catalogue(user):
        raise PermissionDenied(ERROR_CATALOGUE_MEMBERS_ONLY)


def check_papers_curate(user: SiteUser) -> None:
    if not can_curate_papers(user):
        raise PermissionDenied(ERROR_CURATE_STAFF_ONLY)


def access_paper_view(user: SiteUser, paper_id: int) -> Paper:
    check_catalogue_view(user)
    try:
        return paper_get(paper_id=paper_id, offering=offering_current())
    except Paper.DoesNotExist as error:
        raise Http404(ERROR_NO_PAPER) from error


def access_paper_curate(user: SiteUser, paper_id: int) -> Paper:
    check_papers_curate(user)
    try:
        return Paper.objects.get(pk=paper_id)
    except Paper.DoesNotExist as error:
        raise Http404(ERROR_NO_PAPER) from error


def access_paper_tag_curate(user: SiteUser, paper_tag_id: int) -> PaperTag:
    check_papers_curate(user)
    try:
        return PaperTag.objects.select_related("paper", "tag").get(pk=paper_tag_id)
    except PaperTag.DoesNotExist as error:
        raise Http404(ERROR_NO_PAPER) from error


def access_import_batch(user: SiteUser, batch_id: int) -> ImportBatch:
    check_papers_curate(user)
    try:
        return import_batch_get(batch_id=batch_id)
    except ImportBatch.DoesNotExist as error:
        raise Http404("No such import.") from error

"""Who may see and do what in homework: each helper fetches the object and checks the user in one call.

Students see released assignments of offerings they are enrolled in, and the submissions of which they are a
recorded member; staff (TAs, instructors) see everything of their offering. Every refusal is a 403 or 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from courseweb.access import is_course_staff, is_enrolled, role_in

if TYPE_CHECKING:
    from courseweb.access import SiteUser
    from courseweb.courses.models import CourseworkItem, Offering
    from courseweb.homework.models import Assignment, GradingJob, SharedSolution, Submission

ERROR_NOT_ENROLLED = "You are not enrolled in this course."
ERROR_NOT_RELEASED = "This homework has not been released yet."
ERROR_NOT_YOURS = "This submission belongs to another group."


def _assignment(key: str) -> Assignment:
    from courseweb.courses.selectors import offering_current
    from courseweb.homework.models import Assignment

    offering = offering_current()
    assignment = (
        Assignment.objects.select_related("item", "offering").filter(offering=offering, key=key).first()
        if offering
        else None
    )
    if assignment is None:
        raise Http404("No such homework.")
    return assignment


def can_manage_homework(user: SiteUser, offering: Offering | None = None) -> bool:
    return is_course_staff(user, offering)


def check_homework_reader(user: SiteUser, offering: Offering | None) -> None:
    """The homework list (page and API) is for people enrolled in the offering."""
    if offering is not None and not is_enrolled(user, offering):
        raise PermissionDenied(ERROR_NOT_ENROLLED)


def access_assignment(user: SiteUser, key: str) -> Assignment:
    """The assignment, if the user is staff or an enrolled student and it has been released."""
    assignment = _assignment(key)
    if is_course_staff(user, assignment.offering):
        return assignment
    if role_in(user, assignment.offering) is None:
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    released = assignment.item.released_at
    if released is not None and released > timezone.now():
        raise PermissionDenied(ERROR_NOT_RELEASED)
    return assignment


def access_assignment_staff(user: SiteUser, key: str) -> Assignment:
    assignment = _assignment(key)
    if not is_course_staff(user, assignment.offering):
        raise PermissionDenied("This page is for the course staff.")
    return assignment


def access_submission(user: SiteUser, submission_id: int) -> Submission:
    """A submission its members (recorded when it was submitted) and the staff may see."""
    from courseweb.homework.models import Submission, SubmissionMember

    submission = (
        Submission.objects.select_related("assignment__item", "assignment__offering", "submitted_by", "group")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise Http404("No such submission.")
    if is_course_staff(user, submission.assignment.offering):
        return submission
    if (
        user.pk is None
        or not SubmissionMember.objects.filter(submission=submission, user_id=user.pk).exists()
    ):
        raise PermissionDenied(ERROR_NOT_YOURS)
    return submission


def access_job(user: SiteUser, job_id: int) -> GradingJob:
    from courseweb.homework.models import GradingJob

    job = GradingJob.objects.filter(pk=job_id).values_list("submission_id", flat=True).first()
    if job is None:
        raise Http404("No such grading job.")
    submission = access_submission(user, job)
    return submission.jobs.get(pk=job_id)


def access_item(user: SiteUser, slug: str) -> CourseworkItem:
    """A coursework item of the current offering the user is enrolled in (for hand-ins and grades)."""
    from courseweb.courses.models import CourseworkItem
    from courseweb.courses.selectors import offering_current

    offering = offering_current()
    item = CourseworkItem.objects.filter(offering=offering, slug=slug).first() if offering else None
    if item is None:
        raise Http404("No such coursework item.")
    if not is_course_staff(user, offering) and role_in(user, offering) is None:
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    return item


def access_item_staff(user: SiteUser, slug: str) -> CourseworkItem:
    item = access_item(user, slug)
    if not is_course_staff(user, item.offering):
        raise PermissionDenied("This page is for the course staff.")
    return item


def access_shared_solution(user: SiteUser, key: str, pk: int) -> SharedSolution:
    """A solution a group shared with the class: for anyone enrolled who may see the assignment, and only while
    sharing is on, every owner's cut-off has passed and the group has not withdrawn it (else 404)."""
    from courseweb.homework.selectors import shared_solution_visible

    assignment = access_assignment(user, key)
    solution = shared_solution_visible(assignment=assignment, pk=pk)
    if solution is None:
        raise Http404("No such shared solution.")
    return solution

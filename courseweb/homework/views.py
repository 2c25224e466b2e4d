"""Homework pages for students and staff: list, assignment page with upload, live submission status, feedback.

Views are thin: `courseweb.access.homework` fetches and checks, services write, selectors read.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.homework import (
    access_assignment,
    access_assignment_staff,
    access_job,
    access_submission,
    can_manage_homework,
    check_homework_reader,
)
from courseweb.core.files import file_attachment
from courseweb.courses.selectors import offering_current
from courseweb.groups.models import Membership
from courseweb.homework.deadlines import deadline_for_user

from . import selectors
from .deadlines import deadlines_for
from .forms import ExtensionForm, ManualCellGradeForm, NotebookUploadForm
from .models import Submission
from .services.counted import ChoiceRejected, counted_choose
from .services.grading import assignment_regrade, submission_regrade
from .services.manual import extension_grant, manual_cell_grade_set
from .services.submissions import (
    SubmissionRejected,
    check_declared_length,
    check_size,
    max_upload_bytes,
    submission_create,
)
from .views_quarantine import anonymous_upload

FEEDBACK_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"


@require_login
def index(request: HttpRequest) -> HttpResponse:
    offering = offering_current()
    check_homework_reader(request.user, offering)
    staff = can_manage_homework(request.user, offering)
    rows = (
        selectors.assignment_list(offering=offering, user=request.user, include_unreleased=staff)
        if offering
        else []
    )
    handins = selectors.handin_items(offering=offering, include_unreleased=staff) if offering else []
    own = (
        deadlines_for(
            offering=offering,
            items=[r["assignment"].item for r in rows] + handins,
            users=[request.user],
        )
        if offering
        else {}
    )
    grades = _counted_grades(offering=offering, user=request.user, rows=rows)
    for row, grade in zip(rows, grades, strict=True):
        row["deadline"] = own[(row["assignment"].item_id, request.user.pk)]
        row["grade"] = grade
    context = {
        "rows": rows,
        "handins": [{"item": i, "deadline": own[(i.pk, request.user.pk)]} for i in handins],
        "staff": staff,
    }
    return render(request, "homework/index.html", context)


def _counted_grades(*, offering, user, rows: list[dict]) -> list:
    """The grade of each listed homework from the grade pipeline (the submission that counts)."""
    from courseweb.gradebook.grades import grade_inputs_load, item_grade

    if not rows:
        return []
    items = [r["assignment"].item for r in rows]
    inputs = grade_inputs_load(offering=offering, items=items, users=[user])
    return [item_grade(inputs=inputs, item=item, user_id=user.pk) for item in items]


def _assignment_context(request: HttpRequest, assignment, form: NotebookUploadForm) -> dict:
    deadline = deadline_for_user(item=assignment.item, user=request.user)
    history = selectors.submission_history(assignment=assignment, user=request.user)
    return {
        "assignment": assignment,
        "form": form,
        "deadline": deadline,
        "history": history,
        "staff": can_manage_homework(request.user, assignment.offering),
        "max_mb": max_upload_bytes() // 2**20,
        "sharing": selectors.sharing_state(assignment=assignment, user=request.user),
        **_hub_context(request, assignment),
        **_counted_context(request, assignment, deadline=deadline, history=history),
    }


def _hub_context(request: HttpRequest, assignment) -> dict:
    """Whether the site has a JupyterHub to open this homework in, whether the user opened it there before, and
    the user's GPU allowance there (GPU hours left)."""
    from courseweb.hub.client import hub_configured
    from courseweb.hub.selectors import gpu_allowance, hub_opened_before

    enabled = hub_configured()
    return {
        "hub_enabled": enabled,
        "hub_opened": enabled and hub_opened_before(user=request.user, assignment=assignment),
        "hub_gpu": gpu_allowance(user=request.user) if enabled else None,
    }


def _counted_context(request: HttpRequest, assignment, *, deadline, history) -> dict:
    """Each submission's grade from the grade pipeline, which one counts, and whether the choice is still open."""
    from courseweb.gradebook.grades import submission_grades

    grades, counted_id = submission_grades(assignment=assignment, user=request.user)
    return {
        "history_rows": [(sub, grades.get(sub.pk)) for sub in history],
        "counted_id": counted_id,
        "counted_chosen": bool(counted_id and grades.get(counted_id) and grades[counted_id].chosen),
        "choice_open": not deadline.is_closed(at=timezone.now()),
        "choice_cutoff": deadline.cutoff_at,
    }


@require_login
@require_POST
def choose_counted(request: HttpRequest, key: str) -> HttpResponse:
    """A member marks which of the group's submissions counts (or goes back to the default)."""
    assignment = access_assignment(request.user, key)
    raw = request.POST.get("submission", "")
    submission = None
    if raw:
        pk = int(raw) if raw.isdigit() else 0
        submission = Submission.objects.filter(pk=pk, assignment=assignment).first()
        if submission is None:
            raise Http404("No such submission.")
    try:
        counted_choose(user=request.user, assignment=assignment, submission=submission)
    except ChoiceRejected as exc:
        messages.error(request, str(exc))
        return redirect(reverse("homework:assignment", kwargs={"key": key}) + "#history")
    if submission is None:
        messages.success(request, "The default counts again: your latest on-time submission.")
    else:
        messages.success(request, f"Submission {submission.pk} now counts for your grade.")
    return redirect(reverse("homework:assignment", kwargs={"key": key}) + "#history")


@require_login
def assignment_detail(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment(request.user, key)
    return render(
        request, "homework/assignment.html", _assignment_context(request, assignment, NotebookUploadForm())
    )


@require_login
def notebook_download(request: HttpRequest, key: str, stem: str) -> FileResponse:
    assignment = access_assignment(request.user, key)
    path = selectors.released_notebook_path(assignment=assignment, stem=stem)
    if path is None:
        raise Http404("No such notebook.")
    return file_attachment(path.open("rb"), filename=f"{stem}.ipynb")


def submit(request: HttpRequest, key: str) -> HttpResponse:
    if not request.user.is_authenticated:
        # The session expired: keep the file, never lose it (views_quarantine).
        return anonymous_upload(request, kind="assignment", target=key, field="notebook")
    if request.method != "POST":  # e.g. the log-in's `next` of an old expired POST: show the page, not a 405
        return redirect("homework:assignment", key=key)
    assignment = access_assignment(request.user, key)
    form = NotebookUploadForm()
    try:
        check_declared_length(length=int(request.META.get("CONTENT_LENGTH") or 0))
        form = NotebookUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = form.errors.get("notebook") or ["Choose your .ipynb file to upload."]
            raise SubmissionRejected(str(errors[0]))
        upload = form.cleaned_data["notebook"]
        check_size(size=upload.size)
        outcome = submission_create(
            user=request.user, assignment=assignment, filename=upload.name, data=upload.read(), via="web"
        )
    except SubmissionRejected as exc:
        context = _assignment_context(request, assignment, form)
        context["upload_error"] = str(exc)
        return render(request, "homework/assignment.html", context, status=exc.status)
    if outcome.duplicate:
        messages.info(request, "You already submitted exactly this notebook; here is that submission.")
    else:
        messages.success(request, "Submission stored. Grading has started.")
    return redirect("homework:submission", pk=outcome.submission.pk)


def _status_context(request: HttpRequest, submission) -> dict:
    job = selectors.job_latest(submission=submission)
    staff = can_manage_homework(request.user, submission.assignment.offering)
    status = selectors.job_status(job=job, assignment=submission.assignment) if job else None
    return {
        "submission": submission,
        "status": status,
        "staff": staff,
        "stems": list(submission.assignment.notebooks),
        "feedback": selectors.feedback_fragments(job=job) if status and status.state == "graded" else [],
    }


@require_login
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    context = _status_context(request, submission)
    context["jobs"] = selectors.staff_jobs(submission=submission) if context["staff"] else []
    context["grade_form"] = ManualCellGradeForm()
    return render(request, "homework/submission.html", context)


@require_login
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    response = render(request, "homework/_status.html", _status_context(request, submission))
    response["Cache-Control"] = "no-store"
    return response


@require_login
@xframe_options_sameorigin
def feedback_frame(request: HttpRequest, pk: int, stem: str) -> HttpResponse:
    """The feedback document: inert HTML with a CSP that forbids scripts and sandboxes the document."""
    job = access_job(request.user, pk)
    document = selectors.feedback_document(job=job, stem=stem)
    if document is None:
        raise Http404("No feedback for this notebook.")
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = FEEDBACK_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@require_login
def assignment_staff(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment_staff(request.user, key)
    owners = _extension_owners(assignment)
    form = ExtensionForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        kind, _, ident = form.cleaned_data["owner"].partition(":")
        extension_grant(
            by=request.user,
            item=assignment.item,
            due_at=form.cleaned_data["due_at"],
            group_id=int(ident) if kind == "group" else None,
            user_id=int(ident) if kind == "user" else None,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "Extension saved.")
        return redirect("homework:staff", key=key)
    context = {
        "assignment": assignment,
        "submissions": selectors.submissions_for_staff(assignment=assignment),
        "extensions": assignment.item.extensions.select_related("group", "user").order_by("due_at"),
        "form": form,
    }
    return render(request, "homework/staff.html", context)


def _extension_owners(assignment) -> list[tuple[str, str]]:
    from courseweb.courses.models import Enrollment, Role
    from courseweb.groups.models import Group

    groups = [(f"group:{g.pk}", g.name) for g in Group.objects.filter(offering_id=assignment.offering_id)]
    grouped = set(
        Membership.objects.filter(offering_id=assignment.offering_id).values_list("user_id", flat=True)
    )
    solo = [
        (f"user:{e.user_id}", e.user.name)
        for e in Enrollment.objects.filter(
            offering_id=assignment.offering_id, role=Role.STUDENT
        ).select_related("user")
        if e.user_id not in grouped
    ]
    return groups + solo


@require_login
@require_POST
def regrade(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment_staff(request.user, key)
    count = assignment_regrade(assignment=assignment)
    messages.success(request, f"Regrading {count} submissions; the previous results are kept.")
    return redirect("homework:staff", key=key)


@require_login
@require_POST
def submission_regrade_view(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    access_assignment_staff(request.user, submission.assignment.key)
    submission_regrade(submission=submission)
    messages.success(request, "Regrade queued.")
    return redirect("homework:submission", pk=pk)


@require_login
@require_POST
def manual_grade(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    access_assignment_staff(request.user, submission.assignment.key)
    form = ManualCellGradeForm(request.POST)
    if form.is_valid():
        try:
            manual_cell_grade_set(
                grader=request.user,
                submission=submission,
                grade_id=form.cleaned_data["grade_id"],
                points=form.cleaned_data["points"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, "Grade saved.")
        except ValueError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Enter the points as a number.")
    return redirect(reverse("homework:submission", kwargs={"pk": pk}) + "#results")

"""Buddy evaluation pages: a student's open evaluations and the form; the staff's course-wide and per-item
tables (sorted by concern, with comments), the switches, a student's history plot and the CSV export."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from courseweb.access import is_course_staff, require_login
from courseweb.access.peer import access_own_evaluation, access_peer_home, access_peer_item, access_peer_staff

from .forms import EvaluationForm
from .models import PeerItemSetting, PeerResponse
from .plots import history_cached
from .selectors import course_table, evaluation_members, owed_evaluations, released_comments
from .services import adjustment_set, comments_release, evaluations_open, response_save


@require_login
def index(request: HttpRequest) -> HttpResponse:
    offering = access_peer_home(request.user)
    now = timezone.now()
    evaluations_open(offering=offering, now=now)  # the on-demand check; the periodic task does the same
    if is_course_staff(request.user, offering):
        return redirect("peer:staff")
    context = {
        "owed": owed_evaluations(offering=offering, user=request.user, now=now),
        "comments": released_comments(offering=offering, user=request.user),
    }
    return render(request, "peer/index.html", context)


@require_login
@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = access_own_evaluation(request.user, pk)
    now = timezone.now()
    members = evaluation_members(evaluation)
    mine = PeerResponse.objects.filter(evaluation=evaluation, rater=request.user).first()
    initial = {}
    if mine is not None:
        initial = {f"points_{k}": v for k, v in mine.points.items()}
        initial.update(staff_comment=mine.staff_comment, buddy_comment=mine.buddy_comment)
    is_open = evaluation.is_open(at=now)
    form = EvaluationForm(request.POST or None, members=members, me=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            response_save(
                evaluation=evaluation,
                rater=request.user,
                points=form.points(),
                staff_comment=form.cleaned_data["staff_comment"],
                buddy_comment=form.cleaned_data["buddy_comment"],
                now=now,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved. You can change your answer until the evaluation closes.")
            return redirect("peer:evaluate", pk=evaluation.pk)
    context = {"evaluation": evaluation, "form": form, "is_open": is_open, "answered": mine is not None}
    return render(request, "peer/evaluate.html", context, status=400 if form.errors else 200)


@require_login
def staff_course(request: HttpRequest) -> HttpResponse:
    offering = access_peer_staff(request.user)
    evaluations_open(offering=offering, now=timezone.now())
    table = course_table(offering=offering)
    return render(request, "peer/staff.html", {"table": table, "item": None, "setting": None})


@require_login
@require_http_methods(["GET", "POST"])
def staff_item(request: HttpRequest, slug: str) -> HttpResponse:
    item = access_peer_item(request.user, slug)
    now = timezone.now()
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("adjust_on", "adjust_off"):
            adjustment_set(item=item, on=action == "adjust_on", by=request.user, now=now)
            state = "on" if action == "adjust_on" else "off"
            messages.success(request, f"Grade adjustment for {item.title} is {state}.")
        elif action == "release":
            try:
                comments_release(item=item, by=request.user, now=now)
                messages.success(request, "The comments for buddies are now shown to them, without names.")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect("peer:item", slug=item.slug)
    table = course_table(offering=item.offering, item=item)
    setting = PeerItemSetting.objects.filter(item=item).first()
    return render(request, "peer/staff.html", {"table": table, "item": item, "setting": setting})


def _fmt(value) -> str:
    return "" if value is None else f"{value:g}"


@require_login
def export_csv(request: HttpRequest) -> HttpResponse:
    offering = access_peer_staff(request.user)
    table = course_table(offering=offering)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["item", "group", "student", "student_number", "claimed", "perceived", "difference", "factor",
         "flags", "submitted", "comment_for_staff", "comment_for_buddy"]
    )  # fmt: skip
    for row in table.rows:
        r = row.result
        writer.writerow(
            [row.item.slug, row.evaluation.group_name, getattr(row.user, "display_name", "") or
             getattr(row.user, "username", ""), getattr(row.user, "student_number", ""), _fmt(r.claimed),
             _fmt(r.perceived), _fmt(r.difference), _fmt(r.factor), ";".join(row.flags),
             "yes" if r.submitted else "no", row.staff_comment, row.buddy_comment]
        )  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="buddy-evaluations-{offering.slug}-{stamp}.csv"'
    return response


@require_login
def history_plot(request: HttpRequest, user_id: int) -> HttpResponse:
    offering = access_peer_staff(request.user)
    history = course_table(offering=offering).history.get(user_id, [])
    png, key = history_cached(
        labels=[item.title[:18] for item, _ in history],
        values=[value for _, value in history],
        title="Perceived contribution by item",
    )
    etag = f'"{key}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=60"
    return response

"""Coursework item pages for what is not a notebook: groups hand in files and links; TAs grade with a rubric."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import is_course_staff, require_login
from courseweb.access.homework import access_item, access_item_staff
from courseweb.core.files import file_attachment
from courseweb.groups.models import Group
from courseweb.groups.selectors import group_for_user

from . import selectors, storage
from .deadlines import deadline_for_user
from .forms import DeliverableFileForm, DeliverableLinkForm, ItemGradeForm
from .models import Deliverable, ManualGrade
from .services.manual import deliverable_file_create, deliverable_link_create, item_grade_set
from .views_quarantine import anonymous_upload


def item_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated and request.method == "POST":  # expired session: keep the file
        return anonymous_upload(request, kind="item", target=slug, field="file")
    return _item_detail(request, slug)


@require_login
def _item_detail(request: HttpRequest, slug: str) -> HttpResponse:
    item = access_item(request.user, slug)
    group = group_for_user(user=request.user, offering=item.offering_id, members=False)
    group_id = group.pk if group else None
    file_form, link_form = DeliverableFileForm(), DeliverableLinkForm()
    if request.method == "POST":
        try:
            if "file" in request.FILES:
                file_form = DeliverableFileForm(request.POST, request.FILES)
                if file_form.is_valid():
                    upload = file_form.cleaned_data["file"]
                    deliverable_file_create(
                        user=request.user,
                        item=item,
                        label=file_form.cleaned_data["label"],
                        filename=upload.name,
                        data=upload.read(),
                    )
                    messages.success(request, "File handed in.")
                    return redirect("homework:item", slug=slug)
            else:
                link_form = DeliverableLinkForm(request.POST)
                if link_form.is_valid():
                    deliverable_link_create(
                        user=request.user,
                        item=item,
                        label=link_form.cleaned_data["label"],
                        url=link_form.cleaned_data["url"],
                    )
                    messages.success(request, "Link handed in.")
                    return redirect("homework:item", slug=slug)
        except ValueError as exc:
            messages.error(request, str(exc))
    grade_filter = {"group_id": group_id} if group_id else {"user": request.user}
    context = {
        "item": item,
        "deadline": deadline_for_user(item=item, user=request.user),
        "deliverables": selectors.item_deliverables(item=item, group_id=group_id, user=request.user),
        "file_form": file_form,
        "link_form": link_form,
        "grade": ManualGrade.objects.filter(item=item, submission__isnull=True, **grade_filter).first(),
        "rubric": selectors.item_rubric(item=item),
        "staff": is_course_staff(request.user, item.offering),
    }
    return render(request, "homework/item.html", context, status=400 if request.method == "POST" else 200)


@require_login
def deliverable_download(request: HttpRequest, pk: int) -> FileResponse:
    deliverable = Deliverable.objects.select_related("item").filter(pk=pk, kind="file").first()
    if deliverable is None:
        raise Http404("No such file.")
    item = access_item(request.user, deliverable.item.slug)
    group = group_for_user(user=request.user, offering=item.offering_id, members=False)
    mine = group.pk if group else None
    owns = (
        deliverable.group_id and deliverable.group_id == mine
    ) or deliverable.submitted_by_id == request.user.pk
    if not owns:
        access_item_staff(request.user, item.slug)
    try:
        handle = storage.file_open(deliverable.storage_path)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from the server.") from exc
    return file_attachment(handle, filename=deliverable.filename)


@require_login
def item_grading(request: HttpRequest, slug: str) -> HttpResponse:
    """Staff: every group's hand-ins for the item and a rubric form per group."""
    item = access_item_staff(request.user, slug)
    rubric = selectors.item_rubric(item=item)
    groups = (
        Group.objects.filter(offering=item.offering).prefetch_related("memberships__user").order_by("name")
    )
    deliverables: dict[int | None, list[Deliverable]] = {}
    for d in Deliverable.objects.filter(item=item).select_related("submitted_by"):
        deliverables.setdefault(d.group_id, []).append(d)
    grades = {
        g.group_id: g
        for g in ManualGrade.objects.filter(item=item, submission__isnull=True, group__isnull=False)
    }
    rows = [
        {
            "group": g,
            "deliverables": deliverables.get(g.pk, []),
            "grade": grades.get(g.pk),
            "form": ItemGradeForm(
                prefix=f"g{g.pk}",
                rubric=rubric,
                max_points=float(item.points),
                initial=_grade_initial(grades.get(g.pk)),
            ),
        }
        for g in groups
    ]
    return render(request, "homework/item_grading.html", {"item": item, "rows": rows, "rubric": rubric})


def _grade_initial(grade: ManualGrade | None) -> dict | None:
    """The saved grade as the form's initial values, so the staff see what they saved."""
    if grade is None:
        return None
    return {**{f"c{k}": v for k, v in (grade.criteria or {}).items()}, "comment": grade.comment}


@require_login
@require_POST
def item_grade(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    item = access_item_staff(request.user, slug)
    rubric = selectors.item_rubric(item=item)
    form = ItemGradeForm(request.POST, prefix=f"g{group_id}", rubric=rubric, max_points=float(item.points))
    if form.is_valid():
        try:
            item_grade_set(
                grader=request.user,
                item=item,
                group_id=group_id,
                user_id=None,
                criteria=form.criteria(),
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, "Grade saved.")
        except ValueError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Check the points: each must be within its criterion's maximum.")
    return redirect("homework:item_grading", slug=slug)

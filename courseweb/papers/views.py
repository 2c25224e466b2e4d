"""Pages of the paper catalogue: search for students and staff; import, tag review and eligibility for staff.

Views are thin: permissions come from `courseweb.access.papers`, reads from selectors, writes from services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.papers import (
    access_import_batch,
    access_paper_curate,
    access_paper_tag_curate,
    access_paper_view,
    can_curate_papers,
    check_catalogue_view,
    check_papers_curate,
)
from courseweb.courses.selectors import offering_current
from courseweb.papers import selectors, services
from courseweb.papers.forms import (
    CatalogueFilterForm,
    EligibilityForm,
    ImportForm,
    TagAddForm,
    TagDecisionForm,
)
from courseweb.papers.importers import FormatError

PAGE_SIZE = 25


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


@require_login
def index(request: HttpRequest) -> HttpResponse:
    check_catalogue_view(request.user)
    offering = offering_current()
    form = CatalogueFilterForm(request.GET or None, facets=selectors.catalogue_facets())
    filters = form.filters() if form.is_bound else selectors.CatalogueFilters()
    papers = selectors.paper_search(filters=filters, offering=offering)
    page = Paginator(papers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "papers/index.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_curate": can_curate_papers(request.user),
        },
    )


@require_login
def detail(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = access_paper_view(request.user, paper_id)
    can_curate = can_curate_papers(request.user)
    context = {"paper": paper, "can_curate": can_curate}
    if can_curate:
        context |= {
            "review_tags": selectors.paper_tags_for_review(paper=paper),
            "tag_form": TagAddForm(),
            "eligibility_form": EligibilityForm(
                initial={"eligible": not getattr(paper, "is_eligible", False)}
            ),
            "sources": list(paper.sources.all()),
        }
    return render(request, "papers/detail.html", context)


@require_login
def import_page(request: HttpRequest) -> HttpResponse:
    check_papers_curate(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = services.paper_import_text(
                text=data["content"],
                fmt=data["format"] or None,
                filename=data["filename"],
                user=request.user,
                capture_date=data.get("captured_on"),
            )
        except (FormatError, ValueError) as error:
            form.add_error(None, str(error))
        else:
            summary = services.REPORT_SUMMARY.format(
                added=batch.added, merged=batch.merged, skipped=batch.skipped
            )
            messages.success(request, f"Imported: {summary}.")
            return redirect("papers:batch", batch_id=batch.pk)
    return render(request, "papers/import.html", {"form": form, "batches": selectors.import_batch_list()})


@require_login
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_import_batch(request.user, batch_id)
    return render(request, "papers/batch.html", {"batch": batch})


@require_login
def review(request: HttpRequest) -> HttpResponse:
    check_papers_curate(request.user)
    return render(request, "papers/review.html", {"papers": selectors.papers_pending_review()})


@require_login
@require_POST
def tag_decide(request: HttpRequest, paper_tag_id: int) -> HttpResponse:
    paper_tag = access_paper_tag_curate(request.user, paper_tag_id)
    form = TagDecisionForm(request.POST)
    if form.is_valid():
        services.paper_tag_decide(paper_tag=paper_tag, status=form.cleaned_data["status"], user=request.user)
    return _back(request, reverse("papers:detail", args=[paper_tag.paper_id]))


@require_login
@require_POST
def tags_confirm_all(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = access_paper_curate(request.user, paper_id)
    count = services.paper_tags_confirm_all(paper=paper, user=request.user)
    messages.success(request, f"Confirmed {count} tag{'s' if count != 1 else ''} on “{paper}”.")
    return _back(request, reverse("papers:detail", args=[paper.pk]))


@require_login
@require_POST
def tag_add(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = access_paper_curate(request.user, paper_id)
    form = TagAddForm(request.POST)
    if form.is_valid():
        try:
            services.paper_tag_add(paper=paper, label=form.cleaned_data["label"], user=request.user)
        except ValueError as error:
            messages.error(request, str(error))
    return _back(request, reverse("papers:detail", args=[paper.pk]))


@require_login
@require_POST
def eligibility(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = access_paper_curate(request.user, paper_id)
    offering = offering_current()
    form = EligibilityForm(request.POST)
    if offering is None:
        messages.error(request, "No course offering is loaded yet.")
    elif form.is_valid():
        eligible = form.cleaned_data["eligible"]
        services.paper_eligibility_set(
            paper=paper,
            offering=offering,
            eligible=eligible,
            user=request.user,
            note=form.cleaned_data["note"],
        )
        state = "open for replication" if eligible else "no longer open for replication"
        messages.success(request, f"“{paper}” is {state} in {offering}.")
    return _back(request, reverse("papers:detail", args=[paper.pk]))

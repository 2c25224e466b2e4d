"""Schedule, session detail and the iCal feed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.lectures import (
    access_material_download,
    access_material_manage,
    can_manage_materials,
    check_manage_materials,
    check_session_page,
)
from courseweb.core.files import file_pdf_inline_or_attachment
from courseweb.courses.selectors import offering_current

from .forms import MaterialForm
from .ical import calendar_build
from .selectors import event_list, session_get, session_list_annotated, session_notes_page
from .services import material_add_file, material_add_link, material_move, material_remove


def _offering():
    offering = offering_current()
    if offering is None:
        raise Http404("No course offering is loaded yet.")
    return offering


def schedule(request):
    offering = _offering()
    return render(
        request,
        "lectures/schedule.html",
        {"sessions": session_list_annotated(offering=offering), "events": event_list(offering=offering)},
    )


def _session_page(request, *, offering, session, form=None, status: int = 200):
    materials = list(session.materials.all())
    can_manage = can_manage_materials(request.user, offering)
    return render(
        request,
        "lectures/session_detail.html",
        {
            "session": session,
            "slides": [m for m in materials if m.kind == "slides"],
            "notebooks": [m for m in materials if m.kind == "notebook"],
            "readings": [m for m in materials if m.kind in ("reading", "link")],
            "notes_page": session_notes_page(session=session),
            "can_manage": can_manage,
            "form": (form or MaterialForm()) if can_manage else None,
        },
        status=status,
    )


@require_login
def session_detail(request, number: int):
    offering = _offering()
    check_session_page(request.user, offering)
    return _session_page(request, offering=offering, session=session_get(offering=offering, number=number))


@require_login
@require_POST
def material_add(request, number: int):
    offering = _offering()
    check_manage_materials(request.user, offering)
    session = session_get(offering=offering, number=number)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        return _session_page(request, offering=offering, session=session, form=form, status=400)
    data = form.cleaned_data
    if data["file"]:
        material = material_add_file(
            session=session, kind=data["kind"], title=data["title"], upload=data["file"], user=request.user
        )
    else:
        material = material_add_link(
            session=session, kind=data["kind"], title=data["title"], url=data["url"], user=request.user
        )
    messages.success(request, f"Added {material.get_kind_display().lower()} “{material.title}”.")
    return redirect("session_detail", number=number)


@require_login
@require_POST
def material_move_view(request, number: int, material_id: int):
    offering = _offering()
    material = access_material_manage(request.user, offering=offering, number=number, material_id=material_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, "Choose whether to move the material up or down.")
    else:
        material_move(material=material, direction=direction)
        messages.success(request, f"Moved “{material.title}” {direction}.")
    return redirect("session_detail", number=number)


@require_login
@require_POST
def material_remove_view(request, number: int, material_id: int):
    offering = _offering()
    material = access_material_manage(request.user, offering=offering, number=number, material_id=material_id)
    material_remove(material=material)
    messages.success(request, f"Removed “{material.title}”.")
    return redirect("session_detail", number=number)


@require_login
def material_download(request, number: int, material_id: int):
    """Send an uploaded material to an enrolled visitor: PDFs open in the browser, other files download."""
    offering = _offering()
    material = access_material_download(
        request.user, offering=offering, number=number, material_id=material_id
    )
    try:
        handle = material.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from the server.") from exc
    name = material.filename or material.file.name.rsplit("/", 1)[-1]
    return file_pdf_inline_or_attachment(handle, filename=name)


def schedule_ics(request):
    offering = _offering()
    body = calendar_build(offering=offering, site_url=settings.SITE_URL)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{offering.slug}-schedule.ics"'
    return response

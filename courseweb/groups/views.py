"""Group pages: a student's group and invitations; the staff's overview, moves and auto-match.

Views are thin: they check access through `courseweb.access.groups`, call one service, and report its message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import require_login, require_staff
from courseweb.access.groups import (
    access_invitation_received,
    access_invitation_sent,
    access_offering,
    access_staff_offering,
    is_student,
)
from courseweb.signups.selectors import signup_list_for_group

from . import services
from .automatch import automatch_apply, automatch_preview
from .forms import (
    AutomatchFormSet,
    GroupCreateForm,
    InviteForm,
    StaffCreateForm,
    StaffMoveForm,
    automatch_initial,
)
from .selectors import (
    audit_list,
    classmate_search,
    group_for_user,
    group_list,
    invitation_list_received,
    invitation_list_sent,
    student_list,
    student_list_unmatched,
)
from .services import GroupError


@require_login
def index(request: HttpRequest) -> HttpResponse:
    """My group: members, invitations sent and received, sign-ups; or the form to register a group."""
    offering = access_offering(request.user)
    group = group_for_user(user=request.user, offering=offering)
    is_open = services.registration_open(offering=offering)
    query = request.GET.get("q", "")
    context = {
        "group": group,
        "members": [m.user for m in group.memberships.all()] if group else [],
        "registration_open": is_open,
        "deadline": offering.group_registration_deadline,
        "size_max": offering.group_size_max,
        "can_register": is_student(request.user, offering),
        "received": list(invitation_list_received(user=request.user, offering=offering)),
        "sent": list(invitation_list_sent(group=group)) if group else [],
        "signups": signup_list_for_group(group=group) if group else [],
        "create_form": GroupCreateForm(),
        "invite_form": InviteForm(),
        "query": query,
        "results": classmate_search(offering=offering, query=query, exclude=request.user) if group else [],
    }
    if group:
        context["has_room"] = len(context["members"]) + len(context["sent"]) < offering.group_size_max
    return render(request, "groups/index.html", context)


def _done(request: HttpRequest, action, success: str) -> HttpResponse:
    try:
        action()
    except GroupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("groups:index")


@require_POST
@require_login
def create(request: HttpRequest) -> HttpResponse:
    offering = access_offering(request.user)
    form = GroupCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.ERROR_NAME_EMPTY)
        return redirect("groups:index")
    name = form.cleaned_data["name"]
    return _done(
        request,
        lambda: services.group_create(user=request.user, offering=offering, name=name),
        f"Group “{' '.join(name.split())}” registered.",
    )


def _invitee(offering, data: dict):
    """The account an invitation goes to: picked from search results (by id) or typed (e-mail/number)."""
    if data.get("invitee"):
        invitee = student_list(offering=offering).filter(pk=data["invitee"]).first()
        if invitee is None:
            raise GroupError(services.ERROR_NO_SUCH_CLASSMATE)
        return invitee
    return services.classmate_resolve(offering=offering, identifier=data["identifier"])


@require_POST
@require_login
def invite(request: HttpRequest) -> HttpResponse:
    offering = access_offering(request.user)
    group = group_for_user(user=request.user, offering=offering)
    form = InviteForm(request.POST)
    if group is None or not form.is_valid():
        messages.error(
            request, services.ERROR_NOT_IN_GROUP if group is None else services.ERROR_NO_SUCH_CLASSMATE
        )
        return redirect("groups:index")

    try:
        invitee = _invitee(offering, form.cleaned_data)
        services.group_invite(group=group, inviter=request.user, invitee=invitee)
    except GroupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation sent to {invitee.name}.")
    return redirect("groups:index")


@require_POST
@require_login
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = access_invitation_received(request.user, pk)
    return _done(
        request,
        lambda: services.group_invite_accept(invitation=invitation, user=request.user),
        f"You joined “{invitation.group.name}”.",
    )


@require_POST
@require_login
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = access_invitation_received(request.user, pk)
    return _done(
        request,
        lambda: services.group_invite_decline(invitation=invitation, user=request.user),
        f"You declined the invitation to “{invitation.group.name}”.",
    )


@require_POST
@require_login
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = access_invitation_sent(request.user, pk)
    return _done(
        request,
        lambda: services.group_invite_cancel(invitation=invitation, user=request.user),
        f"Invitation to {invitation.invitee.name} withdrawn.",
    )


@require_POST
@require_login
def leave(request: HttpRequest) -> HttpResponse:
    offering = access_offering(request.user)
    return _done(
        request, lambda: services.group_leave(user=request.user, offering=offering), "You left the group."
    )


@require_staff
def staff_overview(request: HttpRequest) -> HttpResponse:
    """All groups, the students in none, the move and create forms, and the audit log."""
    offering = access_staff_offering(request.user)
    groups = list(group_list(offering=offering))
    unmatched = student_list_unmatched(offering=offering)
    students = student_list(offering=offering).order_by("display_name", "username")
    return render(
        request,
        "groups/staff.html",
        {
            "groups": groups,
            "unmatched": list(unmatched),
            "registration_open": services.registration_open(offering=offering),
            "deadline": offering.group_registration_deadline,
            "size_max": offering.group_size_max,
            "move_form": StaffMoveForm(students=students, groups=group_list(offering=offering)),
            "create_form": StaffCreateForm(students=unmatched),
            "audit": audit_list(offering=offering),
        },
    )


@require_POST
@require_staff
def staff_move(request: HttpRequest) -> HttpResponse:
    offering = access_staff_offering(request.user)
    form = StaffMoveForm(
        request.POST, students=student_list(offering=offering), groups=group_list(offering=offering)
    )
    if form.is_valid():
        student, target = form.cleaned_data["student"], form.cleaned_data["group"]
        try:
            services.group_staff_move(staff=request.user, offering=offering, student=student, to_group=target)
        except GroupError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{student.name} moved to {target.name if target else 'no group'}.")
    else:
        messages.error(request, "Choose a student.")
    return redirect("groups:staff")


@require_POST
@require_staff
def staff_create(request: HttpRequest) -> HttpResponse:
    offering = access_staff_offering(request.user)
    form = StaffCreateForm(request.POST, students=student_list_unmatched(offering=offering))
    if form.is_valid():
        try:
            group = services.group_staff_create(
                staff=request.user,
                offering=offering,
                name=form.cleaned_data["name"],
                members=list(form.cleaned_data["members"]),
            )
        except GroupError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Group “{group.name}” created.")
    else:
        messages.error(request, "Give the group a name and choose students who are in no group.")
    return redirect("groups:staff")


@require_staff
def staff_automatch(request: HttpRequest) -> HttpResponse:
    """GET: the proposal as editable rows; POST: apply the rows as edited (nothing is written before that)."""
    offering = access_staff_offering(request.user)
    size = offering.group_size_max
    kwargs = {"students": student_list_unmatched(offering=offering), "size": size}
    preview = automatch_preview(offering=offering)
    if request.method == "POST":
        formset = AutomatchFormSet(request.POST, form_kwargs=kwargs)
        if formset.is_valid():
            proposed = [p for f in formset.forms if (p := f.proposed()) is not None]
            try:
                created = automatch_apply(
                    offering=offering,
                    staff=request.user,
                    groups=proposed,
                    force=request.POST.get("early") == "yes",
                )
            except GroupError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Auto-match created {len(created)} group(s).")
                return redirect("groups:staff")
    else:
        formset = AutomatchFormSet(initial=automatch_initial(preview.groups, size), form_kwargs=kwargs)
    return render(
        request,
        "groups/automatch.html",
        {
            "formset": formset,
            "preview": preview,
            "registration_open": services.registration_open(offering=offering),
            "deadline": offering.group_registration_deadline,
        },
    )

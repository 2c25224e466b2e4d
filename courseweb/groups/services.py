"""Writes for groups: create, invite, accept, decline, cancel, leave, and the staff's moves; each is audited.

Course rules come from the offering (`group_size_max`, `group_registration_deadline`), never from constants here.
Before the deadline students manage their own group; afterwards only staff change groups.  Nobody is placed
in a group without accepting an invitation, except by staff.  Every function owns its transaction and locks
the group row it changes, so two acceptances cannot overfill a group; the database's one-group-per-student
constraint is the last line of defence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courseweb.courses.models import Enrollment, Offering, Role

from .models import AuditAction, AuditEntry, Group, Invitation, InvitationStatus, Membership

ERROR_DEADLINE_PASSED = (
    "Group registration closed at the deadline; please ask the course staff to make changes."
)
ERROR_NOT_STUDENT = "Only students enrolled in this course can be in a group."
ERROR_ALREADY_IN_GROUP = "You are already in a group for this course."
ERROR_INVITEE_IN_GROUP = "That classmate is already in a group."
ERROR_NAME_TAKEN = "Another group already has that name."
ERROR_NAME_EMPTY = "Please give your group a name."
ERROR_GROUP_FULL = "The group is full (at most {limit} members)."
ERROR_NOT_MEMBER = "Only members of the group can do this."
ERROR_NOT_INVITEE = "This invitation was sent to someone else."
ERROR_INVITATION_CLOSED = "This invitation is no longer open."
ERROR_INVITE_SELF = "You cannot invite yourself."
ERROR_ALREADY_INVITED = "That classmate already has an invitation from your group."
ERROR_NO_SUCH_CLASSMATE = "No student in this course has that e-mail address or student number."
ERROR_NOT_IN_GROUP = "You are not in a group."
ERROR_LEAVE_WITH_SIGNUPS = "Your group holds sign-ups; drop them before the last member leaves."
ERROR_TARGET_OFFERING = "That group belongs to another offering."


class GroupError(Exception):
    """A group rule was broken; `str(error)` is a message for the user."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def registration_open(*, offering: Offering, now: datetime | None = None) -> bool:
    deadline = offering.group_registration_deadline
    return deadline is None or _now(now) <= deadline


def _check_open(offering: Offering, now: datetime | None) -> None:
    if not registration_open(offering=offering, now=now):
        raise GroupError(ERROR_DEADLINE_PASSED)


def _check_student(user: Any, offering: Offering) -> None:
    if not Enrollment.objects.filter(user=user, offering=offering, role=Role.STUDENT).exists():
        raise GroupError(ERROR_NOT_STUDENT)


def audit_record(
    *,
    offering: Offering,
    action: str,
    message: str,
    actor: Any = None,
    group: Group | None = None,
    subject: Any = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry to the staff-visible log (other apps, e.g. sign-ups, record their changes here too)."""
    return AuditEntry.objects.create(
        offering=offering,
        action=action,
        message=message[:500],
        actor=actor,
        group=group,
        subject=subject,
        detail=detail or {},
    )


def _join(*, group: Group, user: Any) -> Membership:
    """Add a member to a locked group, enforcing the size limit and one group per student."""
    limit = group.offering.group_size_max
    if group.memberships.count() >= limit:
        raise GroupError(ERROR_GROUP_FULL.format(limit=limit))
    try:
        with transaction.atomic():
            return Membership.objects.create(group=group, user=user, offering=group.offering)
    except IntegrityError as exc:
        raise GroupError(ERROR_INVITEE_IN_GROUP) from exc


def _cancel_moot_invitations(*, group: Group, user: Any) -> None:
    """After a join: the user's other invitations and, if the group is now full, the group's are moot."""
    now = timezone.now()
    pending = Invitation.objects.filter(status=InvitationStatus.PENDING, offering=group.offering)
    moot = Q(invitee=user)
    if group.memberships.count() >= group.offering.group_size_max:
        moot |= Q(group=group)
    pending.filter(moot).update(status=InvitationStatus.CANCELLED, decided_at=now)


def _lock(group: Group) -> Group:
    return Group.objects.select_for_update(of=("self",)).select_related("offering").get(pk=group.pk)


def group_create(*, user: Any, offering: Offering, name: str, now: datetime | None = None) -> Group:
    """A student registers a group (of one, until a classmate accepts an invitation)."""
    name = " ".join(name.split())
    if not name:
        raise GroupError(ERROR_NAME_EMPTY)
    _check_student(user, offering)
    _check_open(offering, now)
    if Membership.objects.filter(offering=offering, user=user).exists():
        raise GroupError(ERROR_ALREADY_IN_GROUP)
    if Group.objects.filter(offering=offering, name__iexact=name).exists():
        raise GroupError(ERROR_NAME_TAKEN)
    try:
        with transaction.atomic():
            group = Group.objects.create(offering=offering, name=name, created_by=user)
            Membership.objects.create(group=group, user=user, offering=offering)
            Invitation.objects.filter(
                offering=offering, invitee=user, status=InvitationStatus.PENDING
            ).update(status=InvitationStatus.CANCELLED, decided_at=timezone.now())
            audit_record(
                offering=offering,
                action=AuditAction.GROUP_CREATED,
                actor=user,
                group=group,
                subject=user,
                message=f"{user.name} created group “{name}”.",
            )
    except IntegrityError as exc:
        taken = Membership.objects.filter(offering=offering, user=user).exists()
        raise GroupError(ERROR_ALREADY_IN_GROUP if taken else ERROR_NAME_TAKEN) from exc
    return group


def classmate_resolve(*, offering: Offering, identifier: str) -> Any:
    """The one enrolled student whose e-mail (any case) or student number is `identifier`."""
    identifier = identifier.strip()
    if not identifier:
        raise GroupError(ERROR_NO_SUCH_CLASSMATE)
    enrollments = Enrollment.objects.filter(offering=offering, role=Role.STUDENT).select_related("user")
    field = Q(user__email__iexact=identifier) if "@" in identifier else Q(user__student_number=identifier)
    matches = [e.user for e in enrollments.filter(field)[:2]]
    if len(matches) != 1:
        raise GroupError(ERROR_NO_SUCH_CLASSMATE)
    return matches[0]


def group_invite(*, group: Group, inviter: Any, invitee: Any, now: datetime | None = None) -> Invitation:
    """A member invites one classmate's account; the classmate joins only by accepting."""
    offering = group.offering
    _check_open(offering, now)
    if invitee.pk == inviter.pk:
        raise GroupError(ERROR_INVITE_SELF)
    _check_student(invitee, offering)
    with transaction.atomic():
        group = _lock(group)
        if not group.memberships.filter(user=inviter).exists():
            raise GroupError(ERROR_NOT_MEMBER)
        if Membership.objects.filter(offering=offering, user=invitee).exists():
            raise GroupError(ERROR_INVITEE_IN_GROUP)
        pending = group.invitations.filter(status=InvitationStatus.PENDING)
        if pending.filter(invitee=invitee).exists():
            raise GroupError(ERROR_ALREADY_INVITED)
        limit = offering.group_size_max
        if group.memberships.count() + pending.count() >= limit:
            raise GroupError(ERROR_GROUP_FULL.format(limit=limit))
        invitation = Invitation.objects.create(
            group=group, offering=offering, invitee=invitee, invited_by=inviter
        )
        audit_record(
            offering=offering,
            action=AuditAction.INVITED,
            actor=inviter,
            group=group,
            subject=invitee,
            message=f"{inviter.name} invited {invitee.name} to “{group.name}”.",
        )
        _invitation_notify(invitation)
    return invitation


def _invitation_notify(invitation: Invitation) -> None:
    """Tell the invitee (on the site, and by e-mail after commit per their preference); the answer is given on
    the site (accepting is consent)."""
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    group = invitation.group
    deadline = group.offering.group_registration_deadline
    until = f" before {timezone.localtime(deadline):%a %d %b %Y, %H:%M} (Hong Kong time)" if deadline else ""
    notify(
        users=[invitation.invitee],
        kind=Kind.INVITATION,
        title=f"{group.offering.code}: {invitation.invited_by.name} invited you to a group",
        body=(
            f"{invitation.invited_by.name} invited you to join the group “{group.name}” in "
            f"{group.offering.code}. Accept or decline{until} on your group page."
        ),
        url=reverse("groups:index"),
    )


def _lock_pending(invitation: Invitation) -> Invitation:
    inv = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if inv.status != InvitationStatus.PENDING:
        raise GroupError(ERROR_INVITATION_CLOSED)
    return inv


def group_invite_accept(*, invitation: Invitation, user: Any, now: datetime | None = None) -> Membership:
    """The invitee consents and joins the group, if it still has room and they are in no group."""
    if invitation.invitee_id != user.pk:
        raise GroupError(ERROR_NOT_INVITEE)
    group = invitation.group
    _check_open(group.offering, now)
    with transaction.atomic():
        group = _lock(group)
        inv = _lock_pending(invitation)
        membership = _join(group=group, user=user)
        inv.status, inv.decided_at = InvitationStatus.ACCEPTED, timezone.now()
        inv.save(update_fields=["status", "decided_at"])
        _cancel_moot_invitations(group=group, user=user)
        audit_record(
            offering=group.offering,
            action=AuditAction.INVITE_ACCEPTED,
            actor=user,
            group=group,
            subject=user,
            message=f"{user.name} accepted the invitation and joined “{group.name}”.",
        )
    return membership


def group_invite_decline(*, invitation: Invitation, user: Any, now: datetime | None = None) -> Invitation:
    """The invitee says no; declining is allowed at any time."""
    if invitation.invitee_id != user.pk:
        raise GroupError(ERROR_NOT_INVITEE)
    with transaction.atomic():
        inv = _lock_pending(invitation)
        inv.status, inv.decided_at = InvitationStatus.DECLINED, _now(now)
        inv.save(update_fields=["status", "decided_at"])
        audit_record(
            offering=inv.offering,
            action=AuditAction.INVITE_DECLINED,
            actor=user,
            group=inv.group,
            subject=user,
            message=f"{user.name} declined the invitation to “{inv.group.name}”.",
        )
    return inv


def group_invite_cancel(*, invitation: Invitation, user: Any, now: datetime | None = None) -> Invitation:
    """A member of the inviting group withdraws a pending invitation."""
    if not invitation.group.memberships.filter(user=user).exists():
        raise GroupError(ERROR_NOT_MEMBER)
    with transaction.atomic():
        inv = _lock_pending(invitation)
        inv.status, inv.decided_at = InvitationStatus.CANCELLED, _now(now)
        inv.save(update_fields=["status", "decided_at"])
        audit_record(
            offering=inv.offering,
            action=AuditAction.INVITE_CANCELLED,
            actor=user,
            group=inv.group,
            subject=inv.invitee,
            message=f"{user.name} withdrew the invitation to {inv.invitee.name}.",
        )
    return inv


def _remove_member(*, membership: Membership, actor: Any, action: str, message: str) -> None:
    """Remove one membership; an emptied group is deleted unless it still holds sign-ups."""
    group = membership.group
    membership.delete()
    audit_record(
        offering=group.offering,
        action=action,
        actor=actor,
        group=group,
        subject=membership.user,
        message=message,
    )
    if not group.memberships.exists():
        if group.signups.filter(status__in=("confirmed", "waitlisted")).exists():
            raise GroupError(ERROR_LEAVE_WITH_SIGNUPS)
        audit_record(
            offering=group.offering,
            action=AuditAction.GROUP_DELETED,
            actor=actor,
            message=f"Group “{group.name}” was deleted (no members left).",
            detail={"group_id": group.pk, "name": group.name},
        )
        group.delete()
    else:
        group.invitations.filter(status=InvitationStatus.PENDING).update(
            status=InvitationStatus.CANCELLED, decided_at=timezone.now()
        )


def group_leave(*, user: Any, offering: Offering, now: datetime | None = None) -> None:
    """A student leaves their group before the deadline; the last member's leaving deletes it."""
    _check_open(offering, now)
    with transaction.atomic():
        membership = Membership.objects.filter(offering=offering, user=user).select_related("group").first()
        if membership is None:
            raise GroupError(ERROR_NOT_IN_GROUP)
        _lock(membership.group)
        _remove_member(
            membership=membership,
            actor=user,
            action=AuditAction.LEFT,
            message=f"{user.name} left “{membership.group.name}”.",
        )


def group_staff_move(*, staff: Any, offering: Offering, student: Any, to_group: Group | None) -> None:
    """Staff move a student to another group (or out of any group), at any time and without consent."""
    if to_group is not None and to_group.offering_id != offering.pk:
        raise GroupError(ERROR_TARGET_OFFERING)
    _check_student(student, offering)
    with transaction.atomic():
        current = Membership.objects.filter(offering=offering, user=student).select_related("group").first()
        if current is not None and to_group is not None and current.group_id == to_group.pk:
            return
        target = _lock(to_group) if to_group is not None else None
        where = f"“{target.name}”" if target else "no group"
        if current is not None:
            _lock(current.group)
            _remove_member(
                membership=current,
                actor=staff,
                action=AuditAction.STAFF_MOVED,
                message=f"{staff.name} moved {student.name} from “{current.group.name}” to {where}.",
            )
        if target is not None:
            _join(group=target, user=student)
            _cancel_moot_invitations(group=target, user=student)
            if current is None:
                audit_record(
                    offering=offering,
                    action=AuditAction.STAFF_MOVED,
                    actor=staff,
                    group=target,
                    subject=student,
                    message=f"{staff.name} placed {student.name} in {where}.",
                )


def group_staff_create(*, staff: Any, offering: Offering, name: str, members: list[Any]) -> Group:
    """Staff create a group with the given students (none of whom may be in a group)."""
    name = " ".join(name.split())
    if not name:
        raise GroupError(ERROR_NAME_EMPTY)
    if len(members) > offering.group_size_max:
        raise GroupError(ERROR_GROUP_FULL.format(limit=offering.group_size_max))
    for student in members:
        _check_student(student, offering)
    try:
        with transaction.atomic():
            group = Group.objects.create(offering=offering, name=name, created_by=staff)
            for student in members:
                Membership.objects.create(group=group, user=student, offering=offering)
                _cancel_moot_invitations(group=group, user=student)
            names = ", ".join(s.name for s in members) or "no members"
            audit_record(
                offering=offering,
                action=AuditAction.STAFF_CREATED,
                actor=staff,
                group=group,
                message=f"{staff.name} created group “{name}” with {names}.",
            )
    except IntegrityError as exc:
        if Group.objects.filter(offering=offering, name=name).exists():
            raise GroupError(ERROR_NAME_TAKEN) from exc
        raise GroupError(ERROR_INVITEE_IN_GROUP) from exc
    return group

"""Writes for accounts: roster import (creates accounts and sends a set-password invitation)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse

from courseweb.access import is_instructor
from courseweb.courses.models import Enrollment, Offering, Role
from courseweb.courses.services import enrollment_set

from .models import RoleChange, User

ROSTER_COLUMNS = ("email", "name", "student_number", "major", "department", "role")
ERROR_ROSTER_NO_EMAIL_COLUMN = (
    "The roster needs an 'email' column (columns: email, name, student_number, major, department, role)."
)
ERROR_ROSTER_NOT_CSV = "The roster is not a readable CSV file (UTF-8 text with a header row)."
ERROR_ROLE_GRANT = "line {line}: only the instructor can make someone {role}; this row was skipped (a TA's roster adds students)."
ERROR_ROLE_STAFF_ROW = (
    "line {line}: {email} is {role}; only the instructor can change a staff member's role or "
    "details, so this row was skipped."
)


@dataclass
class RosterReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created: {len(self.created)}, updated: {len(self.updated)}, errors: {len(self.errors)}"


def _unique_username(email: str) -> str:
    base = email.split("@", 1)[0].lower()[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _course_code() -> str:
    from courseweb.courses.selectors import offering_current

    current = offering_current()
    return current.code if current else "course"


def invitation_send(*, user: User) -> None:
    """E-mail a set-password link (Django's password-reset token, valid PASSWORD_RESET_TIMEOUT), through the
    notifications service: the link is made when the e-mail is sent and never stored."""
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    notify(
        users=[user],
        kind=Kind.ACCOUNT,
        title=f"Your {_course_code()} course site account",
        body=f"An account was created for you on the {_course_code()} course site.",
        url=reverse("login"),
    )


def can_change_roles(actor: User | None, offering: Offering) -> bool:
    """The instructor (or a superuser, or the server's command line with no actor) grants and removes roles."""
    return actor is None or is_instructor(actor, offering)


def role_set(
    *, user: User, offering: Offering, role: str, actor: User | None, via: str = ""
) -> RoleChange | None:
    """Enroll the user with this role and log the change (who, whom, from, to, when); None when nothing changed."""
    old = Enrollment.objects.filter(user=user, offering=offering).values_list("role", flat=True).first() or ""
    enrollment_set(user=user, offering=offering, role=role)
    return role_change_record(user=user, offering=offering, old_role=old, new_role=role, actor=actor, via=via)


def role_change_record(
    *, user: User, offering: Offering, old_role: str, new_role: str, actor: User | None, via: str
) -> RoleChange | None:
    """Log a role change that was made (by `role_set`, or the admin's enrollment form) and push the user's hub
    groups once it is committed; None when the role did not change."""
    if old_role == new_role:
        return None
    change = RoleChange.objects.create(
        offering=offering, user=user, changed_by=actor, old_role=old_role, new_role=new_role, via=via
    )
    _hub_groups_push_on_commit(user)
    return change


def _hub_groups_push_on_commit(user: User) -> None:
    """The hub's groups follow the role at once (courseweb/hub/groups.py), once the change is committed."""
    from courseweb.hub.client import hub_configured
    from courseweb.hub.tasks import groups_push

    if hub_configured():
        transaction.on_commit(lambda: groups_push.delay(user.pk))


def roster_import(
    *,
    offering: Offering,
    csv_text: str,
    send_invitations: bool = True,
    actor: User | None = None,
    via: str = "roster upload",
) -> RosterReport:
    """Create or update accounts and enrollments from CSV; each row is applied on its own, errors are reported.

    `actor` is who uploads it (None: the server's command line, with the instructor's authority). Anyone but the
    instructor adds students only: a row asking for a staff role, or touching a staff member, is refused."""
    report = RosterReport()
    may_change_roles = can_change_roles(actor, offering)
    try:
        reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
        fieldnames = [f.strip().lower() for f in (reader.fieldnames or [])]
    except csv.Error:
        report.errors.append(ERROR_ROSTER_NOT_CSV)
        return report
    if "email" not in fieldnames:
        report.errors.append(ERROR_ROSTER_NO_EMAIL_COLUMN)
        return report
    reader.fieldnames = fieldnames
    roles = {r.value for r in Role}
    to_invite: list[User] = []
    for line_no, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        email = row.get("email", "").lower()
        role = (row.get("role") or Role.STUDENT).lower()
        if "@" not in email:
            report.errors.append(f"line {line_no}: {email or '(empty)'} is not an e-mail address")
            continue
        if role not in roles:
            report.errors.append(f"line {line_no}: role {role!r} is not one of {', '.join(sorted(roles))}")
            continue
        if not may_change_roles and role != Role.STUDENT:
            report.errors.append(ERROR_ROLE_GRANT.format(line=line_no, role=dict(Role.choices)[role].lower()))
            continue
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            current = (
                Enrollment.objects.filter(user=user, offering=offering).values_list("role", flat=True).first()
                if user
                else None
            )
            if not may_change_roles and (
                current in (Role.TA, Role.INSTRUCTOR) or (user and user.is_superuser)
            ):
                who = {Role.TA: "a teaching assistant", Role.INSTRUCTOR: "an instructor"}.get(
                    current, "a site administrator"
                )
                report.errors.append(ERROR_ROLE_STAFF_ROW.format(line=line_no, email=email, role=who))
                continue
            fields = {
                "display_name": row.get("name", ""),
                "student_number": row.get("student_number", ""),
                "major": row.get("major", ""),
                "department": row.get("department", ""),
            }
            fields = {k: v for k, v in fields.items() if v}
            number = fields.get("student_number")
            if number and User.objects.filter(student_number=number).exclude(email__iexact=email).exists():
                report.errors.append(f"line {line_no}: student number {number} belongs to another account")
                continue
            if user is None:
                user = User(email=email, username=_unique_username(email), **fields)
                user.set_unusable_password()
                user.save()
                report.created.append(email)
                to_invite.append(user)
            else:
                for k, v in fields.items():
                    setattr(user, k, v)
                user.save()
                report.updated.append(email)
            role_set(user=user, offering=offering, role=role, actor=actor, via=via)
    if send_invitations:
        for user in to_invite:
            invitation_send(user=user)
    return report

"""Reads for groups: a student's group and invitations, classmate search, the staff's lists and the audit log.

Every list prefetches what its page shows, so a page's query count does not grow with its rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from courseweb.courses.models import Offering, Role

from .models import AuditEntry, Group, Invitation, InvitationStatus, Membership

SEARCH_LIMIT = 20


def _members() -> Prefetch:
    return Prefetch(
        "memberships", queryset=Membership.objects.select_related("user").order_by("joined_at", "id")
    )


def group_for_user(*, user: Any, offering: Offering | int, members: bool = True) -> Group | None:
    """The user's group in the offering, or None (also for an anonymous user): the one look-up of a user's group.

    `user` is a user or a user's id, `offering` an offering or its id. The members are prefetched (one more
    query) unless `members=False`.
    """
    if isinstance(user, int):
        user_id = user
    elif getattr(user, "is_authenticated", False):
        user_id = user.pk
    else:
        return None
    groups = Group.objects.filter(offering=offering, memberships__user_id=user_id)
    return (groups.prefetch_related(_members()) if members else groups).first()


def group_get(*, offering: Offering, group_id: int) -> Group:
    return Group.objects.prefetch_related(_members()).get(offering=offering, pk=group_id)


def group_list(*, offering: Offering) -> QuerySet[Group]:
    return (
        Group.objects.filter(offering=offering)
        .annotate(member_count=Count("memberships"))
        .prefetch_related(_members())
        .order_by("name")
    )


def invitation_list_received(*, user: Any, offering: Offering) -> QuerySet[Invitation]:
    """Pending invitations to this user, with the inviting group's members."""
    return (
        Invitation.objects.filter(offering=offering, invitee=user, status=InvitationStatus.PENDING)
        .select_related("group", "invited_by")
        .prefetch_related(Prefetch("group__memberships", queryset=Membership.objects.select_related("user")))
    )


def invitation_list_sent(*, group: Group) -> QuerySet[Invitation]:
    return Invitation.objects.filter(group=group, status=InvitationStatus.PENDING).select_related(
        "invitee", "invited_by"
    )


def student_list(*, offering: Offering) -> QuerySet:
    User = get_user_model()
    return User.objects.filter(enrollments__offering=offering, enrollments__role=Role.STUDENT)


def student_list_unmatched(*, offering: Offering) -> QuerySet:
    """Enrolled students in no group of the offering, in student-number order."""
    in_group = Membership.objects.filter(offering=offering).values("user_id")
    return student_list(offering=offering).exclude(pk__in=in_group).order_by("student_number", "username")


def classmate_search(*, offering: Offering, query: str, exclude: Any = None) -> list[Any]:
    """Students matching a name, e-mail or student number (search shows names; invitations go to one account)."""
    query = query.strip()
    if len(query) < 2:
        return []
    qs = student_list(offering=offering).filter(
        Q(display_name__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__iexact=query)
        | Q(student_number=query)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    in_group = set(Membership.objects.filter(offering=offering).values_list("user_id", flat=True))
    people = list(qs.order_by("display_name", "username")[:SEARCH_LIMIT])
    for person in people:
        person.has_group = person.pk in in_group
    return people


def audit_list(*, offering: Offering, limit: int = 200) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(offering=offering).select_related("actor", "group", "subject")[:limit]
    )

"""Who may do what in the notes app: drafts are seen only by the scribing group and the course staff.

- The book (published pages) is readable by everyone.
- A note's drafts, versions, diffs and review history: the group assigned to the session and the staff.
- Submitting versions: the assigned group (and staff, who may fix a note themselves).
- Commenting: the group and staff; requesting changes, publishing and assigning groups: staff only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from courseweb.access import check_staff, is_course_staff
from courseweb.groups.selectors import group_for_user
from courseweb.lectures.models import Session
from courseweb.notes.models import ScribedNote
from courseweb.notes.selectors import note_detail, session_scribing_group

if TYPE_CHECKING:
    from courseweb.access import SiteUser

ERROR_NOT_YOUR_NOTE = "Only the scribing group and the course staff can see this note before it is published."
ERROR_NOT_YOUR_SESSION = "Your group is not scribing this session."


def _in_group(user: SiteUser, group_id: int | None, offering_id: int) -> bool:
    if group_id is None or user is None:
        return False
    group = group_for_user(user=user, offering=offering_id, members=False)
    return group is not None and group.pk == group_id


def can_see_note(user: SiteUser, note: ScribedNote) -> bool:
    if is_course_staff(user, note.offering):
        return True
    group = note.group_id or (note.session.scribing_group_id if note.session_id else None)
    return _in_group(user, group, note.offering_id)


def can_review_note(user: SiteUser, note: ScribedNote) -> bool:
    return is_course_staff(user, note.offering)


def access_note(user: SiteUser, note_id: int) -> ScribedNote:
    """The note with its versions and history, if the user may see its drafts; else 403."""
    try:
        note = note_detail(note_id=note_id)
    except ScribedNote.DoesNotExist as exc:
        raise Http404("No such note.") from exc
    if not can_see_note(user, note):
        raise PermissionDenied(ERROR_NOT_YOUR_NOTE)
    return note


def access_note_review(user: SiteUser, note_id: int) -> ScribedNote:
    """The note, if the user is staff of its offering; else 403."""
    note = get_object_or_404(ScribedNote.objects.select_related("offering", "session"), pk=note_id)
    check_staff(user, note.offering)
    return note


def access_session_scribe(user: SiteUser, session_id: int) -> Session:
    """The session, if the user's group scribes it (or the user is staff); else 403."""
    session = get_object_or_404(Session.objects.select_related("offering", "scribing_group"), pk=session_id)
    if is_course_staff(user, session.offering):
        return session
    group = session_scribing_group(session=session)
    if group is None or not _in_group(user, group.pk, session.offering_id):
        raise PermissionDenied(ERROR_NOT_YOUR_SESSION)
    return session


def access_scribing_staff(user: SiteUser, session_id: int) -> Session:
    """The session, for staff who assign groups; else 403."""
    session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
    check_staff(user, session.offering)
    return session

"""`{% group_handins user as rows %}`: the project and replication hand-ins with the user's own deadlines.

For pages outside the homework app (the group page) that link the hand-ins without a view of their own.
"""

from __future__ import annotations

from typing import Any

from django import template

from courseweb.courses.selectors import offering_current
from courseweb.homework.deadlines import deadlines_for
from courseweb.homework.selectors import handin_items

register = template.Library()


@register.simple_tag
def group_handins(user: Any) -> list[dict[str, Any]]:
    offering = offering_current()
    if offering is None or not getattr(user, "is_authenticated", False):
        return []
    items = handin_items(offering=offering, include_unreleased=False)
    own = deadlines_for(offering=offering, items=items, users=[user])
    return [{"item": i, "deadline": own[(i.pk, user.pk)]} for i in items]

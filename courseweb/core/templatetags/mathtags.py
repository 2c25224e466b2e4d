"""`{% load mathtags %}{{ text|render_math }}`: the site's one filter for prose with TeX math.

The text is HTML-escaped and its `$...$`, `$$...$$`, `\\(...\\)` and `\\[...\\]` segments are rendered
to KaTeX HTML on the server by `lecture_notes.katex` (offline; pages need only the KaTeX stylesheet and
fonts).  If Node or KaTeX is missing on this machine the text is shown escaped, math source included, and a
warning is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from lecture_notes.katex import KatexUnavailable, render_text_with_math

register = template.Library()
logger = logging.getLogger(__name__)


@register.filter(name="render_math", is_safe=True)
def render_math(value: Any) -> SafeString:
    """Escape `value` and render the math in it; None renders as an empty string."""
    if value is None:
        return mark_safe("")
    text = str(value)
    try:
        return mark_safe(render_text_with_math(text))  # noqa: S308 - text is escaped, KaTeX output is trusted
    except KatexUnavailable:
        logger.warning("KaTeX is unavailable; showing math source as text", exc_info=True)
        return escape(text)

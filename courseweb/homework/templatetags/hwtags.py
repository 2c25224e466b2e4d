"""Template filters for homework and gradebook pages: points without trailing zeros (2, 1.5, 2.25)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def points(value: float | int | str | None) -> str:
    """2.0 → "2", 1.50 → "1.5", 2.254 → "2.25"; empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.2f}".rstrip("0").rstrip(".")

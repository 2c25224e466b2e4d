"""CSRF_FAILURE_VIEW: a form sent with a missing or stale security token (usually a page left open across a
log-in, log-out or an expired session) gets a page that says what happened and how to try again, not Django's
technical 403. The form's contents stay in the browser: going back keeps what was typed."""

from __future__ import annotations

from urllib.parse import urlparse

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    referer = request.META.get("HTTP_REFERER", "")
    back = None
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parsed = urlparse(referer)
        back = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    return render(request, "core/csrf_failure.html", {"back": back}, status=403)

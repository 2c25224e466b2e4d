"""The authorization matrix: every URL pattern of the site (the admin included), enumerated from the URL resolver,
requested by each kind of visitor, with GET and POST, answers the status the table below expects.

Visitors (columns, in this order): anonymous, student (Alice, in the group "Bandits"), buddy (Bob, her group
partner), other (Dan, a student in another group), nogroup (Carol, a student without a group), outsider (logged in,
not enrolled in the course), ta, instructor (the course's instructor, not a site superuser).

A URL pattern without a row fails `test_every_url_pattern_has_a_row`, naming it: add its kwargs to `KWARGS` (if it
has any) and its expected statuses to `EXPECTED`. Admin patterns share one rule (`ADMIN_EXPECTED`): none of these
visitors is a site administrator. API URLs (`homework:api_*`) are requested with each visitor's bearer token
instead of the session. POSTs carry no form data (a valid CSRF token is not needed: the test client skips CSRF):
they show who gets past the permission check (a form error, 400, or a redirect) and who does not (403, or 302 to
log in). Each request runs in a savepoint that is rolled back, so no request changes what the next one sees.

Run with `MATRIX_PRINT=1` to print the observed table in the format of `EXPECTED`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

ROLES = ("anon", "student", "buddy", "other", "nogroup", "outsider", "ta", "instructor")
METHODS = ("GET", "POST")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Every admin URL (GET), for every visitor above: the admin's log-in page (302), except the log-in page itself.
ADMIN_EXPECTED = "302 302 302 302 302 302 302 302"
ADMIN_EXCEPTIONS = {"admin:login": "200 200 200 200 200 200 200 200"}

# (url name, method) -> expected statuses for ROLES, space-separated; "a|b" accepts either (healthz answers 503
# when no worker runs). Keep sorted by URL name. Public on purpose: the home page, the course page, the schedule
# and its iCal feed, the published notes book, public announcements and their feed; the log-in and password-reset
# pages; the OpenID Connect discovery document and its public keys (/o/, for the hub); the API's OpenAPI
# description. /metrics answers only the Prometheus scraper's token (none here: 404). A logged-in account not
# enrolled in the course ("outsider") gets 403 on every course page and API, and only its own pages (profile,
# password, notifications, calendar and feed tokens, API tokens) otherwise.
EXPECTED: dict[tuple[str, str], str] = {
    ("announcements:create", "GET"): "302 403 403 403 403 403 200 200",
    ("announcements:create", "POST"): "302 403 403 403 403 403 200 200",
    ("announcements:delete", "GET"): "302 405 405 405 405 405 405 405",
    ("announcements:delete", "POST"): "302 403 403 403 403 403 302 302",
    ("announcements:detail", "GET"): "404 200 200 200 200 404 200 200",
    ("announcements:detail", "POST"): "404 200 200 200 200 404 200 200",
    ("announcements:edit", "GET"): "302 403 403 403 403 403 200 200",
    ("announcements:edit", "POST"): "302 403 403 403 403 403 200 200",
    ("announcements:feed", "GET"): "200 200 200 200 200 200 200 200",
    ("announcements:feed", "POST"): "200 200 200 200 200 200 200 200",
    ("announcements:feed_regenerate", "GET"): "302 405 405 405 405 405 405 405",
    ("announcements:feed_regenerate", "POST"): "302 302 302 302 302 302 302 302",
    ("announcements:feed_revoke", "GET"): "302 405 405 405 405 405 405 405",
    ("announcements:feed_revoke", "POST"): "302 302 302 302 302 302 302 302",
    ("announcements:feeds", "GET"): "302 200 200 200 200 200 200 200",
    ("announcements:feeds", "POST"): "302 200 200 200 200 200 200 200",
    ("announcements:index", "GET"): "200 200 200 200 200 200 200 200",
    ("announcements:index", "POST"): "200 200 200 200 200 200 200 200",
    ("announcements:private_feed", "GET"): "404 404 404 404 404 404 404 404",
    ("announcements:private_feed", "POST"): "404 404 404 404 404 404 404 404",
    ("announcements:read", "GET"): "302 405 405 405 405 405 405 405",
    ("announcements:read", "POST"): "302 302 302 302 302 404 302 302",
    ("announcements:read_all", "GET"): "302 405 405 405 405 405 405 405",
    ("announcements:read_all", "POST"): "302 302 302 302 302 302 302 302",
    ("calendar_feed", "GET"): "404 404 404 404 404 404 404 404",
    ("calendar_feed", "POST"): "405 405 405 405 405 405 405 405",
    ("calendar_page", "GET"): "302 200 200 200 200 200 200 200",
    ("calendar_page", "POST"): "302 200 200 200 200 200 200 200",
    ("calendar_regenerate", "GET"): "302 405 405 405 405 405 405 405",
    ("calendar_regenerate", "POST"): "302 302 302 302 302 302 302 302",
    ("calendar_revoke", "GET"): "302 405 405 405 405 405 405 405",
    ("calendar_revoke", "POST"): "302 302 302 302 302 302 302 302",
    ("course", "GET"): "200 200 200 200 200 200 200 200",
    ("course", "POST"): "200 200 200 200 200 200 200 200",
    ("gradebook:counted_log", "GET"): "302 403 403 403 403 403 200 200",
    ("gradebook:counted_log", "POST"): "302 403 403 403 403 403 200 200",
    ("gradebook:csv", "GET"): "302 403 403 403 403 403 200 200",
    ("gradebook:csv", "POST"): "302 403 403 403 403 403 200 200",
    ("gradebook:details_csv", "GET"): "302 403 403 403 403 403 200 200",
    ("gradebook:details_csv", "POST"): "302 403 403 403 403 403 200 200",
    ("gradebook:histogram", "GET"): "302 200 200 200 200 403 200 200",
    ("gradebook:histogram", "POST"): "302 200 200 200 200 403 200 200",
    ("gradebook:index", "GET"): "302 200 200 200 200 403 200 200",
    ("gradebook:index", "POST"): "302 200 200 200 200 403 200 200",
    ("groups:accept", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:accept", "POST"): "302 404 404 404 302 404 404 404",
    ("groups:automatch", "GET"): "302 403 403 403 403 403 200 200",
    ("groups:automatch", "POST"): "302 403 403 403 403 403 200 200",
    ("groups:cancel", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:cancel", "POST"): "302 302 302 404 404 404 404 404",
    ("groups:create", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:create", "POST"): "302 302 302 302 302 403 302 302",
    ("groups:decline", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:decline", "POST"): "302 404 404 404 302 404 404 404",
    ("groups:index", "GET"): "302 200 200 200 200 403 200 200",
    ("groups:index", "POST"): "302 200 200 200 200 403 200 200",
    ("groups:invite", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:invite", "POST"): "302 302 302 302 302 403 302 302",
    ("groups:leave", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:leave", "POST"): "302 302 302 302 302 403 302 302",
    ("groups:staff", "GET"): "302 403 403 403 403 403 200 200",
    ("groups:staff", "POST"): "302 403 403 403 403 403 200 200",
    ("groups:staff_create", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:staff_create", "POST"): "302 403 403 403 403 403 302 302",
    ("groups:staff_move", "GET"): "405 405 405 405 405 405 405 405",
    ("groups:staff_move", "POST"): "302 403 403 403 403 403 302 302",
    ("healthz", "GET"): "200|503 200|503 200|503 200|503 200|503 200|503 200|503 200|503",
    ("healthz", "POST"): "200|503 200|503 200|503 200|503 200|503 200|503 200|503 200|503",
    ("metrics", "GET"): "404 404 404 404 404 404 404 404",
    ("metrics", "POST"): "404 404 404 404 404 404 404 404",
    ("home", "GET"): "200 200 200 200 200 200 200 200",
    ("hub:gpu_allowance", "GET"): "403 403 403 403 403 403 403 403",
    ("hub:gpu_allowance", "POST"): "405 405 405 405 405 405 405 405",
    ("hub:open", "GET"): "302 405 405 405 405 405 405 405",
    ("hub:open", "POST"): "302 302 302 302 302 403 302 302",
    ("hub:progress", "GET"): "302 200 403 403 403 403 403 403",
    ("hub:progress", "POST"): "302 200 403 403 403 403 403 403",
    ("hub:progress_status", "GET"): "302 200 403 403 403 403 403 403",
    ("hub:progress_status", "POST"): "302 200 403 403 403 403 403 403",
    ("hub:spawn_token", "GET"): "405 405 405 405 405 405 405 405",
    ("hub:spawn_token", "POST"): "403 403 403 403 403 403 403 403",
    ("hub:usage", "GET"): "302 403 403 403 403 403 200 200",
    ("hub:usage", "POST"): "302 403 403 403 403 403 200 200",
    ("hub:usage_events", "GET"): "405 405 405 405 405 405 405 405",
    ("hub:usage_events", "POST"): "403 403 403 403 403 403 403 403",
    ("home", "POST"): "200 200 200 200 200 200 200 200",
    ("homework:api_assignments", "GET"): "401 200 200 200 200 403 200 200",
    ("homework:api_assignments", "POST"): "405 405 405 405 405 405 405 405",
    ("homework:api_openapi", "GET"): "200 200 200 200 200 200 200 200",
    ("homework:api_openapi", "POST"): "405 405 405 405 405 405 405 405",
    ("homework:api_submission", "GET"): "401 200 200 403 403 403 200 200",
    ("homework:api_submission", "POST"): "405 405 405 405 405 405 405 405",
    ("homework:api_submit", "GET"): "405 405 405 405 405 405 405 405",
    ("homework:api_submit", "POST"): "401 400 400 400 400 403 400 400",
    ("homework:assignment", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:assignment", "POST"): "302 200 200 200 200 403 200 200",
    ("homework:choose_counted", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:choose_counted", "POST"): "302 302 302 302 302 403 302 302",
    ("homework:deliverable", "GET"): "302 200 200 403 403 403 200 200",
    ("homework:deliverable", "POST"): "302 200 200 403 403 403 200 200",
    ("homework:download", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:download", "POST"): "302 200 200 200 200 403 200 200",
    ("homework:feedback", "GET"): "302 404 404 403 403 403 404 404",
    ("homework:feedback", "POST"): "302 404 404 403 403 403 404 404",
    ("homework:index", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:index", "POST"): "302 200 200 200 200 403 200 200",
    ("homework:item", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:item", "POST"): "302 400 400 400 400 403 400 400",
    ("homework:item_grade", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:item_grade", "POST"): "302 403 403 403 403 403 302 302",
    ("homework:item_grading", "GET"): "302 403 403 403 403 403 200 200",
    ("homework:item_grading", "POST"): "302 403 403 403 403 403 200 200",
    ("homework:kept", "GET"): "302 404 404 404 404 404 404 404",
    ("homework:kept", "POST"): "302 404 404 404 404 404 404 404",
    ("homework:manual_grade", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:manual_grade", "POST"): "302 403 403 403 403 403 302 302",
    ("homework:regrade", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:regrade", "POST"): "302 403 403 403 403 403 302 302",
    ("homework:sharing", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:sharing", "POST"): "302 403 403 403 403 403 302 302",
    ("homework:solution", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:solution", "POST"): "302 200 200 200 200 403 200 200",
    ("homework:solution_download", "GET"): "302 200 200 200 200 403 200 200",
    ("homework:solution_download", "POST"): "302 200 200 200 200 403 200 200",
    ("homework:solution_publish", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:solution_publish", "POST"): "302 302 302 302 302 403 302 302",
    ("homework:solution_withdraw", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:solution_withdraw", "POST"): "302 302 302 302 302 403 302 302",
    ("homework:staff", "GET"): "302 403 403 403 403 403 200 200",
    ("homework:staff", "POST"): "302 403 403 403 403 403 200 200",
    ("homework:submission", "GET"): "302 200 200 403 403 403 200 200",
    ("homework:submission", "POST"): "302 200 200 403 403 403 200 200",
    ("homework:submission_regrade", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:submission_regrade", "POST"): "302 403 403 403 403 403 302 302",
    ("homework:submission_status", "GET"): "302 200 200 403 403 403 200 200",
    ("homework:submission_status", "POST"): "302 200 200 403 403 403 200 200",
    ("homework:submit", "GET"): "302 302 302 302 302 302 302 302",
    ("homework:submit", "POST"): "302 400 400 400 400 403 400 400",
    ("homework:token_revoke", "GET"): "302 405 405 405 405 405 405 405",
    ("homework:token_revoke", "POST"): "302 302 302 302 302 302 302 302",
    ("homework:tokens", "GET"): "302 200 200 200 200 200 200 200",
    ("homework:tokens", "POST"): "302 200 200 200 200 200 200 200",
    ("login", "GET"): "200 302 302 302 302 302 302 302",
    ("login", "POST"): "200 302 302 302 302 302 302 302",
    ("logout", "GET"): "405 405 405 405 405 405 405 405",
    ("logout", "POST"): "302 302 302 302 302 302 302 302",
    ("material_add", "GET"): "302 405 405 405 405 405 405 405",
    ("material_add", "POST"): "302 403 403 403 403 403 400 400",
    ("material_download", "GET"): "302 200 200 200 200 403 200 200",
    ("material_download", "POST"): "302 200 200 200 200 403 200 200",
    ("material_move", "GET"): "302 405 405 405 405 405 405 405",
    ("material_move", "POST"): "302 403 403 403 403 403 302 302",
    ("material_remove", "GET"): "302 405 405 405 405 405 405 405",
    ("material_remove", "POST"): "302 403 403 403 403 403 302 302",
    ("notes:anchor", "GET"): "404 404 404 404 404 404 404 404",
    ("notes:anchor", "POST"): "404 404 404 404 404 404 404 404",
    ("notes:book", "GET"): "200 200 200 200 200 200 200 200",
    ("notes:book", "POST"): "200 200 200 200 200 200 200 200",
    ("notes:index", "GET"): "302 302 302 302 302 302 302 302",
    ("notes:index", "POST"): "302 302 302 302 302 302 302 302",
    ("notes:note_assign", "GET"): "302 405 405 405 405 405 405 405",
    ("notes:note_assign", "POST"): "302 403 403 403 403 403 302 302",
    ("notes:note_comment", "GET"): "302 405 405 405 405 405 405 405",
    ("notes:note_comment", "POST"): "302 403 403 403 403 403 302 302",
    ("notes:note_detail", "GET"): "302 403 403 403 403 403 200 200",
    ("notes:note_detail", "POST"): "302 403 403 403 403 403 200 200",
    ("notes:note_diff", "GET"): "302 403 403 403 403 403 200 200",
    ("notes:note_diff", "POST"): "302 403 403 403 403 403 200 200",
    ("notes:note_edit", "GET"): "302 403 403 403 403 403 200 200",
    ("notes:note_edit", "POST"): "302 403 403 403 403 403 200 200",
    ("notes:note_review", "GET"): "302 405 405 405 405 405 405 405",
    ("notes:note_review", "POST"): "302 403 403 403 403 403 302 302",
    ("notes:page", "GET"): "404 404 404 404 404 404 404 404",
    ("notes:page", "POST"): "404 404 404 404 404 404 404 404",
    ("notes:print", "GET"): "200 200 200 200 200 200 200 200",
    ("notes:print", "POST"): "200 200 200 200 200 200 200 200",
    ("notes:references", "GET"): "200 200 200 200 200 200 200 200",
    ("notes:references", "POST"): "200 200 200 200 200 200 200 200",
    ("notes:scribe_home", "GET"): "302 200 200 200 200 403 200 200",
    ("notes:scribe_home", "POST"): "302 200 200 200 200 403 200 200",
    ("notes:search", "GET"): "200 200 200 200 200 200 200 200",
    ("notes:search", "POST"): "200 200 200 200 200 200 200 200",
    ("notifications:index", "GET"): "302 200 200 200 200 200 200 200",
    ("notifications:index", "POST"): "302 200 200 200 200 200 200 200",
    ("notifications:open", "GET"): "302 302 404 404 404 404 404 404",
    ("notifications:open", "POST"): "302 302 404 404 404 404 404 404",
    ("notifications:preferences", "GET"): "302 200 200 200 200 200 200 200",
    ("notifications:preferences", "POST"): "302 200 200 200 200 200 200 200",
    ("notifications:read", "GET"): "302 405 405 405 405 405 405 405",
    ("notifications:read", "POST"): "302 302 404 404 404 404 404 404",
    ("notifications:read_all", "GET"): "302 405 405 405 405 405 405 405",
    ("notifications:read_all", "POST"): "302 302 302 302 302 302 302 302",
    ("oauth2_provider:authorize", "GET"): "302 400 400 400 400 400 400 400",
    ("oauth2_provider:authorize", "POST"): "302 200 200 200 200 200 200 200",
    ("oauth2_provider:introspect", "GET"): "403 403 403 403 403 403 403 403",
    ("oauth2_provider:introspect", "POST"): "403 403 403 403 403 403 403 403",
    ("oauth2_provider:jwks-info", "GET"): "200 200 200 200 200 200 200 200",
    ("oauth2_provider:jwks-info", "POST"): "405 405 405 405 405 405 405 405",
    ("oauth2_provider:oidc-connect-discovery-info", "GET"): "200 200 200 200 200 200 200 200",
    ("oauth2_provider:oidc-connect-discovery-info", "POST"): "405 405 405 405 405 405 405 405",
    ("oauth2_provider:revoke-token", "GET"): "405 405 405 405 405 405 405 405",
    ("oauth2_provider:revoke-token", "POST"): "400 400 400 400 400 400 400 400",
    ("oauth2_provider:rp-initiated-logout", "GET"): "404 404 404 404 404 404 404 404",
    ("oauth2_provider:rp-initiated-logout", "POST"): "404 404 404 404 404 404 404 404",
    ("oauth2_provider:token", "GET"): "405 405 405 405 405 405 405 405",
    ("oauth2_provider:token", "POST"): "400 400 400 400 400 400 400 400",
    ("oauth2_provider:user-info", "GET"): "401 401 401 401 401 401 401 401",
    ("oauth2_provider:user-info", "POST"): "401 401 401 401 401 401 401 401",
    ("papers:batch", "GET"): "302 403 403 403 403 403 200 200",
    ("papers:batch", "POST"): "302 403 403 403 403 403 200 200",
    ("papers:detail", "GET"): "302 200 200 200 200 403 200 200",
    ("papers:detail", "POST"): "302 200 200 200 200 403 200 200",
    ("papers:eligibility", "GET"): "302 405 405 405 405 405 405 405",
    ("papers:eligibility", "POST"): "302 403 403 403 403 403 302 302",
    ("papers:import", "GET"): "302 403 403 403 403 403 200 200",
    ("papers:import", "POST"): "302 403 403 403 403 403 200 200",
    ("papers:index", "GET"): "302 200 200 200 200 403 200 200",
    ("papers:index", "POST"): "302 200 200 200 200 403 200 200",
    ("papers:review", "GET"): "302 403 403 403 403 403 200 200",
    ("papers:review", "POST"): "302 403 403 403 403 403 200 200",
    ("papers:tag_add", "GET"): "302 405 405 405 405 405 405 405",
    ("papers:tag_add", "POST"): "302 403 403 403 403 403 302 302",
    ("papers:tag_decide", "GET"): "302 405 405 405 405 405 405 405",
    ("papers:tag_decide", "POST"): "302 403 403 403 403 403 302 302",
    ("papers:tags_confirm_all", "GET"): "302 405 405 405 405 405 405 405",
    ("papers:tags_confirm_all", "POST"): "302 403 403 403 403 403 302 302",
    ("password_change", "GET"): "302 200 200 200 200 200 200 200",
    ("password_change", "POST"): "302 200 200 200 200 200 200 200",
    ("password_change_done", "GET"): "302 200 200 200 200 200 200 200",
    ("password_change_done", "POST"): "302 405 405 405 405 405 405 405",
    ("password_reset", "GET"): "200 200 200 200 200 200 200 200",
    ("password_reset", "POST"): "200 200 200 200 200 200 200 200",
    ("password_reset_complete", "GET"): "200 200 200 200 200 200 200 200",
    ("password_reset_complete", "POST"): "405 405 405 405 405 405 405 405",
    ("password_reset_confirm", "GET"): "200 200 200 200 200 200 200 200",
    ("password_reset_confirm", "POST"): "200 200 200 200 200 200 200 200",
    ("password_reset_done", "GET"): "200 200 200 200 200 200 200 200",
    ("password_reset_done", "POST"): "405 405 405 405 405 405 405 405",
    ("peer:csv", "GET"): "302 403 403 403 403 403 200 200",
    ("peer:csv", "POST"): "302 403 403 403 403 403 200 200",
    ("peer:evaluate", "GET"): "302 200 200 404 404 403 404 404",
    ("peer:evaluate", "POST"): "302 200 200 404 404 403 404 404",
    ("peer:history", "GET"): "302 403 403 403 403 403 200 200",
    ("peer:history", "POST"): "302 403 403 403 403 403 200 200",
    ("peer:index", "GET"): "302 200 200 200 200 403 302 302",
    ("peer:index", "POST"): "302 200 200 200 200 403 302 302",
    ("peer:item", "GET"): "302 403 403 403 403 403 200 200",
    ("peer:item", "POST"): "302 403 403 403 403 403 302 302",
    ("peer:staff", "GET"): "302 403 403 403 403 403 200 200",
    ("peer:staff", "POST"): "302 403 403 403 403 403 200 200",
    ("profile", "GET"): "302 200 200 200 200 200 200 200",
    ("profile", "POST"): "302 200 200 200 200 200 200 200",
    ("roster", "GET"): "302 403 403 403 403 403 200 200",
    ("roster", "POST"): "302 403 403 403 403 403 200 200",
    ("schedule", "GET"): "200 200 200 200 200 200 200 200",
    ("schedule", "POST"): "200 200 200 200 200 200 200 200",
    ("schedule_ics", "GET"): "200 200 200 200 200 200 200 200",
    ("schedule_ics", "POST"): "200 200 200 200 200 200 200 200",
    ("session_detail", "GET"): "302 200 200 200 200 403 200 200",
    ("session_detail", "POST"): "302 200 200 200 200 403 200 200",
    ("signups:assign", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:assign", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:board", "GET"): "302 200 200 200 200 403 200 200",
    ("signups:board", "POST"): "302 200 200 200 200 403 200 200",
    ("signups:capacity", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:capacity", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:drop", "GET"): "302 200 200 404 404 403 404 404",
    ("signups:drop", "POST"): "302 200 200 404 404 403 404 404",
    ("signups:export", "GET"): "302 403 403 403 403 403 200 200",
    ("signups:export", "POST"): "302 403 403 403 403 403 200 200",
    ("signups:index", "GET"): "302 200 200 200 200 403 200 200",
    ("signups:index", "POST"): "302 200 200 200 200 403 200 200",
    ("signups:manage", "GET"): "302 403 403 403 403 403 200 200",
    ("signups:manage", "POST"): "302 403 403 403 403 403 200 200",
    ("signups:manage_sheet", "GET"): "302 403 403 403 403 403 200 200",
    ("signups:manage_sheet", "POST"): "302 403 403 403 403 403 200 200",
    ("signups:move", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:move", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:move_own", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:move_own", "POST"): "302 400 400 404 404 403 404 404",
    ("signups:sheet", "GET"): "302 200 200 200 200 403 200 200",
    ("signups:sheet", "POST"): "302 200 200 200 200 403 200 200",
    ("signups:sheet_update", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:sheet_update", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:signup", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:signup", "POST"): "302 400 400 302 400 403 400 400",
    ("signups:staff_drop", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:staff_drop", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:swap", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:swap", "POST"): "302 403 403 403 403 403 302 302",
    ("signups:swap_accept", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:swap_accept", "POST"): "302 404 404 404 404 403 404 404",
    ("signups:swap_decline", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:swap_decline", "POST"): "302 404 404 404 404 403 404 404",
    ("signups:swap_request", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:swap_request", "POST"): "302 400 400 404 404 403 404 404",
    ("signups:swap_withdraw", "GET"): "405 405 405 405 405 405 405 405",
    ("signups:swap_withdraw", "POST"): "302 404 404 404 404 403 404 404",
    ("status", "GET"): "302 403 403 403 403 403 200 200",
    ("status", "POST"): "302 403 403 403 403 403 200 200",
}


@dataclass
class World:
    users: dict[str, Any]
    kwargs: dict[str, dict[str, Any]]
    api_tokens: dict[str, str]


def _patterns(resolver=None, ns: str = "", route: str = "") -> list[tuple[str, URLPattern, str]]:
    """(namespaced name, pattern, full route) for every URL pattern, walking includes."""
    resolver = resolver or get_resolver()
    out = []
    for p in resolver.url_patterns:
        full = route + str(p.pattern).removeprefix("^").removesuffix("$")
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            out += _patterns(p, inner, full)
        else:
            out.append((f"{ns}{p.name}" if p.name else f"{ns}<unnamed {full}>", p, full))
    return out


def _is_admin(name: str) -> bool:
    return name.startswith("admin:") or name.startswith("<unnamed admin/")


def test_every_url_pattern_has_a_row():
    missing = []
    for name, _pattern, _route in _patterns():
        if _is_admin(name):
            continue
        for method in METHODS:
            if (name, method) not in EXPECTED:
                missing.append(f"{name} {method}")
    assert not missing, "URL patterns without a row in EXPECTED: " + ", ".join(missing)
    names = {name for name, _, _ in _patterns()}
    stale = sorted({n for n, _ in EXPECTED} - names)
    assert not stale, "rows for URL names that no longer exist: " + ", ".join(stale)


ADMIN_KWARGS = {"object_id": "1", "app_label": "accounts", "content_type_id": "1", "url": "nothing-here/"}


def _admin_url(route: str) -> str:
    """A concrete URL for an admin route (named or not): each parameter gets a sample value."""
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ADMIN_KWARGS.get(m.group(1), "1"), route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: ADMIN_KWARGS.get(m.group(1), "1"), url)
    return "/" + url.replace("^", "").replace("$", "")


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    """A course whose first sessions have started, its people in the eight roles, and one object of each kind."""
    from courseweb.core.demo import PAPERS_FILE
    from courseweb.courses.models import CourseworkItem, Role
    from courseweb.groups.models import Group, Invitation, Membership
    from courseweb.homework import storage
    from courseweb.homework.models import Assignment, GradingJob, Submission, SubmissionMember
    from courseweb.homework.services.assignments import assignments_sync
    from courseweb.homework.services.manual import deliverable_file_create
    from courseweb.homework.services.tokens import api_token_create
    from courseweb.lectures.models import Session
    from courseweb.lectures.services import material_add_file
    from courseweb.notes.models import ScribedNote
    from courseweb.notes.scribing import notes_demo_load
    from courseweb.papers.models import ImportBatch, Paper, PaperTag
    from courseweb.papers.services import paper_eligibility_set, paper_import_text
    from courseweb.signups.models import Sheet, Signup
    from courseweb.signups.staff import sheets_create_standard
    from tests.courseweb.homework.notebooks import FIXTURES
    from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory, UserFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MATERIALS_ROOT = tmp_path / "materials"
    settings.HUB_SERVICE_TOKEN = "matrix-hub-token"  # the site has a hub: "Open in JupyterHub" is offered
    now = timezone.now()
    offering = OfferingFactory()
    for n in (1, 2, 3):
        start = now - dt.timedelta(days=1) + dt.timedelta(weeks=n - 1)
        SessionFactory(offering=offering, number=n, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    roles = {
        "student": Role.STUDENT,
        "buddy": Role.STUDENT,
        "other": Role.STUDENT,
        "nogroup": Role.STUDENT,
        "ta": Role.TA,
        "instructor": Role.INSTRUCTOR,
        "outsider": None,
    }
    users = {}
    for who, role in roles.items():
        users[who] = UserFactory(username=f"matrix-{who}")
        if role:
            EnrollmentFactory(user=users[who], offering=offering, role=role)
    bandits = Group.objects.create(offering=offering, name="Bandits", created_by=users["student"])
    owls = Group.objects.create(offering=offering, name="Owls", created_by=users["other"])
    for group, who in ((bandits, "student"), (bandits, "buddy"), (owls, "other")):
        Membership.objects.create(group=group, user=users[who], offering=offering)
    invitation = Invitation.objects.create(
        group=bandits, offering=offering, invitee=users["nogroup"], invited_by=users["student"]
    )
    assert assignments_sync(offering=offering, root=FIXTURES).errors == []
    CourseworkItem.objects.create(
        offering=offering,
        slug="project",
        kind="project",
        title="Project",
        category="project",
        points=100,
        due_at=now + dt.timedelta(days=20),
    )
    sheets_create_standard(
        offering=offering,
        staff=None,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=7),
    )
    paper_import_text(text=PAPERS_FILE.read_text(encoding="utf-8"), fmt="bibtex", filename=PAPERS_FILE.name)
    for paper in Paper.objects.all():
        paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=None)
    notes_demo_load(offering=offering)

    session = Session.objects.get(offering=offering, number=1)
    material, doomed = (
        material_add_file(
            session=session, kind="slides", title=t, upload=SimpleUploadedFile("s.pdf", PDF), user=users["ta"]
        )
        for t in ("Slides", "Old slides")
    )
    assignment = Assignment.objects.select_related("item").get(key="tiny")
    stem = next(iter(assignment.notebooks))
    blob = storage.blob_store(data=b'{"nbformat": 4}', kind="submissions", suffix=".ipynb")
    submission = Submission.objects.create(
        assignment=assignment,
        group=bandits,
        submitted_by=users["student"],
        stem=stem,
        filename=f"{stem}.ipynb",
        content_hash=blob.sha256,
        size=blob.size,
        storage_path=blob.name,
        submitted_at=timezone.now() - dt.timedelta(hours=1),
    )
    for who in ("student", "buddy"):
        SubmissionMember.objects.create(submission=submission, user=users[who])
    job = GradingJob.objects.create(submission=submission, created_at=timezone.now())
    solution = _shared_solution(
        assignment=assignment, group=bandits, members=[users["student"], users["buddy"]], blob=blob
    )
    project = CourseworkItem.objects.filter(offering=offering, kind="project").first()
    deliverable = deliverable_file_create(
        user=users["student"], item=project, label="proposal", filename="p.pdf", data=PDF
    )
    note = ScribedNote.objects.filter(offering=offering).first()
    version = note.versions.order_by("number").first() if note else None
    sheet = Sheet.objects.filter(offering=offering).order_by("pk").first()
    slot = sheet.slots.order_by("pk").first()
    signup = Signup.objects.filter(sheet__offering=offering).first() or Signup.objects.create(
        sheet=sheet,
        slot=slot,
        group=bandits,
        offering=offering,
        status="confirmed",
        created_by=users["student"],
    )
    paper = Paper.objects.first()
    from courseweb.announcements.models import Announcement
    from courseweb.notifications.models import Notification
    from courseweb.peer.models import PeerEvaluation

    announcement = Announcement.objects.create(
        offering=offering, title="For the class", body="Room change", public=False, published_at=now
    )
    evaluation = PeerEvaluation.objects.create(
        offering=offering,
        item=project,
        group=bandits,
        group_name=bandits.name,
        member_ids=[users["student"].pk, users["buddy"].pk],
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
    )
    notification = Notification.objects.create(
        user=users["student"], kind=_notification_kind(), title="Graded"
    )
    from courseweb.hub.models import HubOpen

    hub_open = HubOpen.objects.create(user=users["student"], assignment=assignment)
    tokens = {role: api_token_create(user=u, name="matrix").secret for role, u in users.items()}
    own_token = api_token_create(user=users["student"], name="own")
    nothing = 999_999
    kwargs = {
        "session_detail": {"number": 1},
        "material_add": {"number": 1},
        "material_move": {"number": 1, "material_id": material.pk},
        "material_remove": {"number": 1, "material_id": doomed.pk},  # removing deletes the file itself
        "material_download": {"number": 1, "material_id": material.pk},
        "calendar_feed": {"token": "not-a-token"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        "notes:note_edit": {"session_id": note.session_id if note else nothing},
        "notes:note_assign": {"session_id": note.session_id if note else nothing},
        "notes:note_detail": {"note_id": note.pk if note else nothing},
        "notes:note_review": {"note_id": note.pk if note else nothing},
        "notes:note_comment": {"note_id": note.pk if note else nothing},
        "notes:note_diff": {
            "note_id": note.pk if note else nothing,
            "old": version.number if version else 1,
            "new": version.number if version else 1,
        },
        "notes:book": {"season": offering.slug},
        "notes:search": {"season": offering.slug},
        "notes:references": {"season": offering.slug},
        "notes:print": {"season": offering.slug},
        "notes:anchor": {"season": offering.slug, "html_id": "nothing"},
        "notes:page": {"season": offering.slug, "slug": "nothing"},
        "papers:detail": {"paper_id": paper.pk},
        "papers:batch": {"batch_id": ImportBatch.objects.first().pk},
        "papers:tag_decide": {"paper_tag_id": getattr(PaperTag.objects.first(), "pk", nothing)},
        "papers:tags_confirm_all": {"paper_id": paper.pk},
        "papers:tag_add": {"paper_id": paper.pk},
        "papers:eligibility": {"paper_id": paper.pk},
        "groups:accept": {"pk": invitation.pk},
        "groups:decline": {"pk": invitation.pk},
        "groups:cancel": {"pk": invitation.pk},
        "signups:sheet": {"sheet_id": sheet.pk},
        "signups:board": {"sheet_id": sheet.pk},
        "signups:signup": {"slot_id": slot.pk},
        "signups:drop": {"signup_id": signup.pk},
        "signups:move_own": {"signup_id": signup.pk},
        "signups:swap_request": {"signup_id": signup.pk},
        "signups:swap_accept": {"request_id": nothing},
        "signups:swap_decline": {"request_id": nothing},
        "signups:swap_withdraw": {"request_id": nothing},
        "signups:manage_sheet": {"sheet_id": sheet.pk},
        "signups:sheet_update": {"sheet_id": sheet.pk},
        "signups:assign": {"sheet_id": sheet.pk},
        "signups:move": {"sheet_id": sheet.pk},
        "signups:swap": {"sheet_id": sheet.pk},
        "signups:staff_drop": {"sheet_id": sheet.pk},
        "signups:capacity": {"sheet_id": sheet.pk},
        "signups:export": {"sheet_id": sheet.pk},
        "homework:token_revoke": {"pk": own_token.token.pk},
        "homework:api_submit": {"key": assignment.key},
        "homework:api_submission": {"pk": submission.pk},
        "homework:submission": {"pk": submission.pk},
        "homework:submission_status": {"pk": submission.pk},
        "homework:submission_regrade": {"pk": submission.pk},
        "homework:manual_grade": {"pk": submission.pk},
        "homework:feedback": {"pk": job.pk, "stem": stem},
        "homework:item": {"slug": project.slug},
        "homework:item_grading": {"slug": project.slug},
        "homework:item_grade": {"slug": project.slug, "group_id": bandits.pk},
        "homework:deliverable": {"pk": deliverable.pk},
        "homework:kept": {"token": "not-a-token"},
        "homework:assignment": {"key": assignment.key},
        "homework:download": {"key": assignment.key, "stem": stem},
        "homework:submit": {"key": assignment.key},
        "homework:choose_counted": {"key": assignment.key},
        "homework:staff": {"key": assignment.key},
        "homework:regrade": {"key": assignment.key},
        "hub:open": {"key": assignment.key},
        "hub:progress": {"pk": hub_open.pk},
        "hub:progress_status": {"pk": hub_open.pk},
        "hub:gpu_allowance": {"name": f"u{users['student'].pk}"},
        "homework:sharing": {"key": solution.assignment.key},
        "homework:solution_publish": {"key": solution.assignment.key},
        "homework:solution_withdraw": {"key": solution.assignment.key},
        "homework:solution": {"key": solution.assignment.key, "pk": solution.pk},
        "homework:solution_download": {"key": solution.assignment.key, "pk": solution.pk},
        "gradebook:histogram": {"slug": assignment.item.slug},
        "announcements:private_feed": {"token": "not-a-token"},
        "announcements:detail": {"pk": announcement.pk},
        "announcements:edit": {"pk": announcement.pk},
        "announcements:delete": {"pk": announcement.pk},
        "announcements:read": {"pk": announcement.pk},
        "peer:evaluate": {"pk": evaluation.pk},
        "peer:item": {"slug": project.slug},
        "peer:history": {"user_id": users["student"].pk},
        "notifications:open": {"pk": notification.pk},
        "notifications:read": {"pk": notification.pk},
    }
    return World(users=users, kwargs=kwargs, api_tokens=tokens)


def _shared_solution(*, assignment: Any, group: Any, members: list[Any], blob: Any) -> Any:
    """A second homework, past every cut-off with sharing on, whose Bandits' submission is shared with the class."""
    from courseweb.courses.models import CourseworkItem
    from courseweb.homework.models import Assignment, SharedSolution, Submission, SubmissionMember

    now = timezone.now()
    item = CourseworkItem.objects.create(
        offering=assignment.offering,
        slug="shared",
        kind="homework",
        title="Shared homework",
        category="homework",
        points=assignment.max_score,
        released_at=now - dt.timedelta(days=40),
        due_at=now - dt.timedelta(days=30),
    )
    shared = Assignment.objects.create(
        item=item,
        offering=assignment.offering,
        key="shared",
        source_dir=assignment.source_dir,
        source_hash=assignment.source_hash,
        release_dir=assignment.release_dir,
        notebooks=assignment.notebooks,
        max_score=assignment.max_score,
        cutoff_days=7,
        synced_at=now,
        sharing_enabled=True,
    )
    stem = next(iter(assignment.notebooks))
    submission = Submission.objects.create(
        assignment=shared,
        group=group,
        submitted_by=members[0],
        stem=stem,
        filename=f"{stem}.ipynb",
        content_hash=blob.sha256,
        size=blob.size,
        storage_path=blob.name,
        submitted_at=now - dt.timedelta(days=31),
    )
    for member in members:
        SubmissionMember.objects.create(submission=submission, user=member)
    return SharedSolution.objects.create(
        assignment=shared, group=group, submission=submission, published_by=members[0], published_at=now
    )


def _notification_kind() -> str:
    from courseweb.notifications.models import Kind

    return next(iter(Kind)).value


def _matches(expected: str, got: str) -> bool:
    return all(g in e.split("|") for e, g in zip(expected.split(), got.split(), strict=True))


def _clients(world: World) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anon":
            client.force_login(world.users[role])
        clients[role] = client
    return clients


def _status(client: Client, method: str, url: str, headers: dict[str, str]) -> int:
    if os.environ.get("MATRIX_TRACE"):
        print("TRACE", method, url, flush=True)
    cookies = {key: morsel.value for key, morsel in client.cookies.items()}
    sid = transaction.savepoint()
    try:
        response = client.generic(method, url, headers=headers)
        if response.streaming:  # read to the end: the client's wrapper then closes the file
            b"".join(response.streaming_content)
        return response.status_code
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = SimpleCookie(cookies)  # a log-out or log-in changes nothing for the next request


def test_every_url_answers_each_visitor_as_the_table_says(world):
    clients = _clients(world)
    observed: dict[tuple[str, str], str] = {}
    mismatches = []
    for name, pattern, route in _patterns():
        admin = _is_admin(name) or route.startswith("admin/")
        if admin:
            url = _admin_url(route)
        else:
            wanted = set(pattern.pattern.regex.groupindex)
            if wanted and name not in world.kwargs:
                mismatches.append(
                    f"{name}: no sample kwargs in the world fixture ({', '.join(sorted(wanted))})"
                )
                continue
            url = reverse(name, kwargs=world.kwargs[name] if wanted else None)
        for method in ("GET",) if admin else METHODS:
            statuses = []
            for role in ROLES:
                headers = {}
                if name.startswith("homework:api_"):
                    client = clients["anon"]
                    if role != "anon":
                        headers = {"authorization": f"Bearer {world.api_tokens[role]}"}
                else:
                    client = clients[role]
                statuses.append(str(_status(client, method, url, headers)))
            got = " ".join(statuses)
            observed[(name, method)] = got
            expected = ADMIN_EXCEPTIONS.get(name, ADMIN_EXPECTED) if admin else EXPECTED.get((name, method))
            if expected is not None and not _matches(expected, got):
                diffs = [
                    f"{role}: expected {e}, got {g}"
                    for role, e, g in zip(ROLES, expected.split(), got.split(), strict=True)
                    if g not in e.split("|")
                ]
                mismatches.append(f"{name} {method} {url}: " + "; ".join(diffs))
    if os.environ.get("MATRIX_PRINT"):
        print("\nEXPECTED = {")
        for (name, method), got in sorted(observed.items()):
            if not _is_admin(name):
                print(f'    ("{name}", "{method}"): "{got}",')
        print("}")
    assert not mismatches, "statuses differ from the table:\n" + "\n".join(mismatches)


def test_the_table_uses_known_statuses_only():
    for key, row in EXPECTED.items():
        assert re.fullmatch(r"(\d{3}(\|\d{3})* ){7}\d{3}(\|\d{3})*", row), key

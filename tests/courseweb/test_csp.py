"""The site-wide Content-Security-Policy: scripts only from the site (no inline script, no eval), KaTeX's inline
styles allowed, no framing; htmx is configured without eval or injected styles; no template needs more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from courseweb.core.csp import SITE_CSP

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "courseweb").rglob("templates/**/*.html"))


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/schedule/", "/accounts/login/"])
def test_every_page_carries_the_policy(client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == SITE_CSP
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_base_configures_htmx_without_eval_or_injected_styles():
    base = (ROOT / "courseweb" / "templates" / "base.html").read_text()
    assert '"includeIndicatorStyles": false' in base and '"allowEval": false' in base


def test_no_template_needs_an_inline_script_an_event_handler_or_eval():
    problems = []
    for path in TEMPLATES:
        text = path.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                problems.append(f"{path.relative_to(ROOT)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            problems.append(f"{path.relative_to(ROOT)}: an on…= event handler attribute")
        if re.search(r"\shx-on[:-]|href=[\"']javascript:|\bjs:", text):
            problems.append(
                f"{path.relative_to(ROOT)}: hx-on, a javascript: link or a js: expression (need eval)"
            )
    assert problems == []

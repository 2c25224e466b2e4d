"""The site's Content-Security-Policy: what the pages really need and nothing else.

- scripts: only the site's own files (htmx, the site script); no inline script, no `eval` (htmx is configured
  with `allowEval: false` and `includeIndicatorStyles: false` by a meta tag in base.html);
- styles: the site's stylesheets, plus inline `style` attributes, which server-rendered KaTeX math needs;
- images: the site's own and `data:` URLs (feedback plots); fonts: the site's own (KaTeX);
- frames: only the site's own feedback frame, and no page may be framed (`frame-ancestors 'none'`);
- no plugins, and `<base>` cannot move relative links elsewhere.

Responses that set their own policy (stored files, the feedback frame) keep it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SITE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = SITE_CSP
        return response

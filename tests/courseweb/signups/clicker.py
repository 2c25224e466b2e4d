"""One browser click from its own process, for the race tests.

Standard library only: the race tests start these processes with the "spawn" method, because a forked child
would inherit the test process's open broker (Redis) connections and hang in kombu's after-fork clean-up.
"""

from __future__ import annotations

import http.client
import secrets


def click(port: int, path: str, cookie: str, body: str, barrier, results) -> None:
    """Wait for the other clicks, then POST like a logged-in browser with a CSRF token."""
    token = secrets.token_hex(16)  # 32 characters: accepted as an unmasked CSRF secret
    headers = {
        "Cookie": f"sessionid={cookie}; csrftoken={token}",
        "X-CSRFToken": token,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    barrier.wait()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        results.put((response.status, response.read().decode("utf-8", "replace")))
    except Exception as exc:  # report, never hang the parent
        results.put((0, repr(exc)))

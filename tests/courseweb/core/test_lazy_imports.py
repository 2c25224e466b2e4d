"""Django processes do not pay for rfc3987_syntax's parser at start-up, and jsonschema's IRI check still works.

Checked in a fresh interpreter (this test process has imported everything already): set up Django as the web
server, the workers and the management commands do, import nbformat (which imports jsonschema), and see that the
RFC 3987 parser was not built; then validate IRIs through jsonschema, which builds it and answers as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.workers import REPO

PROBE = """
import json, sys
import django
django.setup()
import jsonschema, nbformat
from django.urls import get_resolver
get_resolver().url_patterns
before = "rfc3987_syntax.syntax_helpers" in sys.modules
checker = jsonschema.FormatChecker()
good = checker.conforms("https://example.org/r\\u00e9sum\\u00e9?q=1#top", "iri")
bad = checker.conforms("not an iri at all", "iri")
print(json.dumps({"before": before, "good": good, "bad": bad,
                  "after": "rfc3987_syntax.syntax_helpers" in sys.modules}))
"""


def test_django_start_up_defers_the_iri_parser_until_an_iri_is_checked():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "courseweb.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"before": False, "good": True, "bad": False, "after": True}

"""Two imports of the same list at the same time on PostgreSQL: every paper is stored once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from courseweb.papers.models import Paper
from courseweb.papers.services import paper_import_text

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

ABSTRACT = (
    "We study a market. We prove that prices converge to an equilibrium. We test it on data from a platform. "
    * 3
).strip()


def test_concurrent_imports_of_the_same_text_never_duplicate() -> None:
    texts = [
        ("\n".join(f"Paper Number {n}\n{ABSTRACT}" for n in range(40)), "trending"),
        ("\n".join(f"2401.{n:05d}" for n in range(1, 41)), "identifiers"),
    ]
    barrier = threading.Barrier(4)
    batches, errors = [], []

    def run(body: str, fmt: str) -> None:
        try:
            barrier.wait()
            batches.append(paper_import_text(text=body, fmt=fmt))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in texts * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Paper.objects.count() == 80
    by_format: dict[str, list[tuple[int, int]]] = {}
    for batch in batches:
        by_format.setdefault(batch.format, []).append((batch.added, batch.merged))
    assert sorted(by_format["trending"]) == [(0, 40), (40, 0)]
    assert sorted(by_format["identifiers"]) == [(0, 40), (40, 0)]

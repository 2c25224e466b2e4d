"""Notification tests reuse the homework fixtures (an offering with the tiny assignment synced, a pair, a solo
student, a TA) and run Celery tasks in-process so a test sees the e-mail a worker would send."""

from __future__ import annotations

import pytest

from tests.courseweb.homework.conftest import (  # noqa: F401
    hw_media,
    offering,
    pair,
    released,
    sessions,
    solo,
    synced,
    ta,
    tiny,
)
from tests.courseweb.notifications.eager import eager_celery  # noqa: F401


@pytest.fixture(autouse=True)
def _eager(eager_celery):  # noqa: F811
    yield

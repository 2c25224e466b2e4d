"""`eager_celery`: run Celery tasks in-process, as a worker would, so a test reads the e-mail the notification
service sends after commit. Import it into a test module (or a conftest) to use it."""

from __future__ import annotations

import pytest

from courseweb.celery import app as celery_app


@pytest.fixture
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before

"""The health and metrics code reach the broker through Celery's current app, not by importing courseweb.celery
(which imports them): that app must be the project's in every thread, not only the one that created it."""

from __future__ import annotations

import threading

from celery import current_app

from courseweb.celery import app


def test_every_thread_sees_the_projects_celery_app() -> None:
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(current_app._get_current_object()))
    thread.start()
    thread.join()
    assert seen == [app]
    assert app.conf.broker_url == current_app.conf.broker_url

"""The course platform's Django project. The Celery app is loaded with Django so shared tasks bind to it."""

from .lazy_imports import defer_rfc3987_syntax

defer_rfc3987_syntax()  # before anything imports nbformat (2 s of CPU per process otherwise; see lazy_imports)

from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]

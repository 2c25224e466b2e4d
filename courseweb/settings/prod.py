"""Production: secrets required from the environment, security tightened."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, STORAGES, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
# Documented in deploy/env.example (set there for the course's host); off unless the deployment opts in, since
# preloading cannot be undone quickly and covers every subdomain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# nginx serves HTTPS only and says so in X-Forwarded-Proto; a plain-HTTP request that reaches Django is redirected,
# except the local health probe, which talks to the app server directly.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Persistent database connections: each gunicorn thread keeps its connection for a minute instead of opening one per
# request (2-2.5 ms each on PostgreSQL, bench/README.md); Django checks a kept connection before reusing it, so one
# the server closed is replaced, not reported as an error. DATABASE_CONN_MAX_AGE=0 goes back to one per request.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
STORAGES = {
    **STORAGES,  # the stored files' backends (base: COURSEWEB_STORAGE)
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# JSON log lines for the log collector (courseweb/core/observability.py); LOG_FORMAT=plain for reading by eye.
LOGGING["handlers"]["console"]["formatter"] = (
    "json" if env.str("LOG_FORMAT", default="json") == "json" else "plain"
)

"""Base settings, read from environment variables through one reader (django-environ).

Embedded defaults let a newcomer run the site with nothing installed: SQLite in WAL mode and
kombu's filesystem transport.  `DATABASE_URL` and `CELERY_BROKER_URL` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from courseweb.accounts.oidc_keys import oidc_private_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("COURSEWEB_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-key-change-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "courseweb.core.csrf.csrf_failure"  # "your session expired; go back and try again"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_results",
    "courseweb.core",
    "courseweb.accounts",
    "courseweb.courses",
    "courseweb.lectures",
    "courseweb.groups",
    "courseweb.notes",
    "courseweb.papers",
    "courseweb.signups",
    "courseweb.homework",
    "courseweb.gradebook",
    "courseweb.peer",
    "courseweb.announcements",
    "courseweb.notifications",
    "courseweb.hub",
    "oauth2_provider",
    "axes",
]

MIDDLEWARE = [
    "courseweb.core.observability.RequestIdMiddleware",  # first: its id is in every later log line
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "courseweb.core.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the log-in page's 429 answer
]

ROOT_URLCONF = "courseweb.urls"
WSGI_APPLICATION = "courseweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "courseweb" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courseweb.core.context_processors.site",
            ],
        },
    },
]


def _database_from_env() -> dict:
    default_sqlite = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    db = env.db_url("DATABASE_URL", default=default_sqlite)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + IMMEDIATE transactions let the web server and the worker write at once.
        db.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
    return db


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SERIALIZATION_MODULES = {"json-exact": "courseweb.core.exact_json"}  # backups keep times to the microsecond
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Log-in throttling (django-axes) ----------------------------------------------------------------
# Lock a (username, client address) pair out after 5 failures for 15 minutes; never a username alone, so a
# classmate cannot lock a student out. Failures under the username and the e-mail address count together.
AUTHENTICATION_BACKENDS = [
    "courseweb.accounts.backends.LockoutBackend",
    "courseweb.accounts.backends.UsernameOrEmailBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends 15 minutes after the 5th failure
AXES_USERNAME_CALLABLE = "courseweb.accounts.backends.lockout_username"
AXES_CLIENT_IP_CALLABLE = "courseweb.accounts.backends.client_address"
AXES_LOCKOUT_CALLABLE = "courseweb.accounts.views.lockout"
AXES_VERBOSE = False
# Reverse proxies in front of the site that append to X-Forwarded-For (1 behind deploy/'s nginx).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Hong_Kong"  # shown everywhere; stored as UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "courseweb" / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"


def stored_files(
    backend: str, *, bucket: str = "", endpoint_url: str = "", region: str = "", addressing_style: str = ""
) -> dict[str, dict]:
    """The STORAGES entries of the stored files (deploy/README.md "Storage").

    `homework` holds submissions, hand-ins, feedback and kept uploads, `materials` the lecture materials.
    "filesystem": folders on a volume every host shares (MEDIA_ROOT/homework, VAR_DIR/materials). "s3": prefixes
    of one private S3-compatible bucket; credentials come from the environment (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, or the host's role) as boto3 finds them, never from these settings.
    """
    if backend == "filesystem":
        return {
            "homework": {"BACKEND": "courseweb.homework.storage.HomeworkFileStorage"},
            "materials": {"BACKEND": "courseweb.lectures.storage.MaterialStorage"},
        }
    if backend != "s3":
        raise ImproperlyConfigured(f"COURSEWEB_STORAGE must be 'filesystem' or 's3', not {backend!r}")
    if not bucket:
        raise ImproperlyConfigured("COURSEWEB_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    s3 = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region or None,
        "addressing_style": addressing_style or None,
        "default_acl": None,  # the bucket's own policy, which must keep it private
        "querystring_auth": True,
    }
    backend_path = "courseweb.core.storage.PrivateS3Storage"
    return {
        # content-addressed or per-job names: the same name always holds the same bytes
        "homework": {
            "BACKEND": backend_path,
            "OPTIONS": {**s3, "location": "homework", "file_overwrite": True},
        },
        # staff uploads keep their file names: a second "slides.pdf" in a month gets a new name
        "materials": {
            "BACKEND": backend_path,
            "OPTIONS": {**s3, "location": "materials", "file_overwrite": False},
        },
    }


COURSEWEB_STORAGE = env.str("COURSEWEB_STORAGE", default="filesystem")
# Lecture materials' folder (filesystem backend): VAR_DIR/materials, followed at use time, unless set.
if env.str("MATERIALS_ROOT", default=""):
    MATERIALS_ROOT = Path(env.str("MATERIALS_ROOT"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    **stored_files(
        COURSEWEB_STORAGE,
        bucket=env.str("AWS_STORAGE_BUCKET_NAME", default=""),
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
        region=env.str("AWS_S3_REGION_NAME", default=""),
        addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default=""),
    ),
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DOTE 6635 <noreply@dote6635.local>")

# --- Celery -----------------------------------------------------------------------------------------
BROKER_DIR = Path(env.str("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1200),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds after which a worker heartbeat is considered stale by /healthz.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=15)
WORKER_HEARTBEAT_INTERVAL = env.int("WORKER_HEARTBEAT_INTERVAL", default=5)

# --- Course -----------------------------------------------------------------------------------------
COURSE_FILE = Path(
    env.str(
        "COURSE_FILE", default=str(BASE_DIR / "courseweb" / "courses" / "course_files" / "dote6635-s26.yaml")
    )
)
ASSIGNMENTS_DIR = Path(env.str("ASSIGNMENTS_DIR", default=str(BASE_DIR / "assignments")))

# --- Homework (courseweb/homework, docs/homework.md): every HOMEWORK_* setting, read as settings.HOMEWORK_X ------
# The filesystem backend's homework folder and the releases' parent; empty: MEDIA_ROOT/homework (at use time).
HOMEWORK_ROOT = env.str("HOMEWORK_ROOT", default="")
# Upload limits: one notebook, one hand-in file; the same bytes from the same owner within the window are one
# submission; anonymous uploads kept per address and hour.
HOMEWORK_MAX_UPLOAD_BYTES = env.int("HOMEWORK_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
HOMEWORK_MAX_FILE_BYTES = env.int("HOMEWORK_MAX_FILE_BYTES", default=50 * 1024 * 1024)
HOMEWORK_DUPLICATE_WINDOW_S = env.int("HOMEWORK_DUPLICATE_WINDOW_S", default=120)
HOMEWORK_QUARANTINE_PER_ADDRESS_PER_HOUR = env.int("HOMEWORK_QUARANTINE_PER_ADDRESS_PER_HOUR", default=10)
# Grading jobs: the lease a worker renews, engine failures before giving up, how long a queued job waits before
# it is sent again (a lost message), how often each worker's reaper looks.
HOMEWORK_LEASE_SECONDS = env.float("HOMEWORK_LEASE_SECONDS", default=30)
HOMEWORK_MAX_INFRA_RETRIES = env.int("HOMEWORK_MAX_INFRA_RETRIES", default=3)
HOMEWORK_REQUEUE_QUEUED_AFTER_S = env.float("HOMEWORK_REQUEUE_QUEUED_AFTER_S", default=300)
HOMEWORK_REAPER_INTERVAL_S = env.float("HOMEWORK_REAPER_INTERVAL_S", default=5)
NODE_BIN = env.str("NODE_BIN", default="node")

# The site as the OpenID Connect provider of the course's JupyterHub (django-oauth-toolkit, mounted under /o/;
# courseweb/accounts/oidc.py).  `manage.py create_hub_application` registers the hub; its callback is
# HUB_URL/hub/oauth_callback.  The RS256 key: OIDC_RSA_PRIVATE_KEY (PEM) or var/oidc-rsa.pem (created 0600).
HUB_URL = env.str("HUB_URL", default="http://127.0.0.1:8001").rstrip("/")
# The site calls the hub's REST API (courseweb/hub/client.py) with the `courseweb` service's token; without a
# token the hub is "not configured": no Open-in-JupyterHub button and no hub line in /healthz.
HUB_API_URL = env.str(
    "HUB_API_URL",
    default=env.str("HUB_API_BIND_URL", default="http://127.0.0.1:8081").rstrip("/") + "/hub/api",
).rstrip("/")
HUB_SERVICE_TOKEN = env.str("HUB_SERVICE_TOKEN", default="")
HUB_SPAWN_WAIT_S = env.int(
    "HUB_SPAWN_WAIT_S", default=300
)  # how long "Open in JupyterHub" waits for a server
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": oidc_private_key(var_dir=VAR_DIR),
    "OAUTH2_VALIDATOR_CLASS": "courseweb.accounts.oidc.CourseOIDCValidator",
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "SCOPES": {
        "openid": "Sign you in with your course account",
        "profile": "Your name and hub username",
        "email": "Your e-mail address",
    },
    "DEFAULT_SCOPES": ["openid"],
}

# GPU grading (gpu_runner).  GPU_NODES: how many machines run a worker on the `gpu` queue (deploy/README.md);
# 0 (the default) means none, and `requires_gpu` homework follows its `gpu_fallback` (CPU queue, or wait).
# Read by the web and every worker: `courseweb.homework.services.grading.grading_route`.
GPU_NODES = env.int("GPU_NODES", default=0)
GPU_SLOTS_PER_GPU = env.int("GPU_SLOTS_PER_GPU", default=1)  # grading runs one GPU takes at once
GPU_MEMORY_BUDGET_MB = env.int("GPU_MEMORY_BUDGET_MB", default=0)  # per GPU; 0: the GPU's total memory
GPU_LEASE_DIR = Path(env.str("GPU_LEASE_DIR", default=str(VAR_DIR / "gpu-leases")))
GPU_LEASE_WAIT_S = env.float("GPU_LEASE_WAIT_S", default=300)
GPU_DEV_DIR = Path(env.str("GPU_DEV_DIR", default="/dev"))  # where the GPUs' device nodes are (tests: fakes)

# Logs: one line per record on stderr with the request's and the job's id (courseweb/core/observability.py);
# LOG_FORMAT=json writes each line as a JSON object (the production default), "plain" for people.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "courseweb.core.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s%(job_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# Prometheus metrics at /metrics, only for a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`; empty: off.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

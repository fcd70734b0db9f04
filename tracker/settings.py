"""Settings for the tracker, read from the environment (one file, twelve-factor style).

DATABASE_URL   default: a SQLite file in var/ (zero setup); PostgreSQL in production,
               e.g. postgresql://user:pass@host:5432/tracker
SECRET_KEY     required when DEBUG is off
DEBUG          off unless set to 1/true/yes/on
ALLOWED_HOSTS  comma-separated; defaults to localhost when DEBUG is on
CSRF_TRUSTED_ORIGINS  comma-separated origins whose form posts are accepted besides the site's
HTTPS          on unless DEBUG is on: secure cookies, HSTS, redirect to HTTPS. Set HTTPS=0 only
               to serve plain HTTP on a trusted loopback (the benchmark does)
PROXY_SSL_HEADER  behind a proxy that terminates TLS, the header it sets for HTTPS requests,
               e.g. X-Forwarded-Proto (the proxy must overwrite it on every request)
FORWARDED_ALLOW_IPS  the proxies' addresses or networks, comma-separated; none unless set.
               Only from these is X-Forwarded-For believed (the visitor's address, which
               sign-in throttling and the security log record) and, by gunicorn,
               X-Forwarded-Proto; from anyone else the socket's own address counts
LOG_LEVEL      WARNING unless set (DEBUG, INFO, WARNING, ERROR): JSON lines on stdout
STATIC_ROOT    where collectstatic writes: staticfiles/ in the checkout unless set
TWO_FACTOR_REQUIRED, TWO_FACTOR_EXEMPT  below, with the other security settings
SITE_URL       the address users reach the tracker at, for links in emails
               (default http://127.0.0.1:8000)
EMAIL_BACKEND  smtp (default when DEBUG is off), console (default when DEBUG is on: the demo
               prints its mail), file (one file per run in EMAIL_FILE_PATH), locmem, or a
               dotted path to a backend class
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
               the SMTP server (default localhost; port 25, or 587 with TLS)
EMAIL_FILE_PATH  where the file backend writes (default var/mail)
DEFAULT_FROM_EMAIL  the From of every email (default tracker@localhost)

All of them, with gunicorn's (tracker/gunicorn.conf.py), are in README.md under Deployment.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG is off "
            "(for a local try-out, run with DEBUG=1, as `make demo` does)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # SearchVectorField, the stored search words (agreements.search); harmless on SQLite.
    "django.contrib.postgres",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The queue of background tasks, a table in this database (see TASKS below).
    "django_tasks_db",
    "agreements",
]

MIDDLEWARE = [
    # First: every later middleware, view and log record of the request knows its id.
    "tracker.logs.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "agreements.middleware.admin_refuses_nul",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The request's language: cookie, then Accept-Language (a signed-in user's own choice is
    # applied after authentication, by agreements.middleware.user_language).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second step.
    "django_otp.middleware.OTPMiddleware",
    "agreements.middleware.user_language",
    # Every page needs a signed-in user unless its view says otherwise (login page only).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Lets the history records know who made each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Signed-in pages are never stored by browsers or proxies; idle and absolute session limits.
    "agreements.middleware.private_pages",
    "agreements.middleware.session_limits",
    "agreements.middleware.two_factor",
    # Last, as django-axes asks: answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

# A change's reason in its history entry is kept whole (text, not simple_history's 100
# characters): a reviewer's comment or an archive reason can be a paragraph.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
ASGI_APPLICATION = "tracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agreements.context_processors.user_teams",
            ],
        },
    },
    {
        # A list's rows (agreements/jinja2.py says when a template is Jinja2).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "agreements.jinja2.environment",
            "extensions": ["jinja2.ext.i18n"],
        },
    },
]

# Forms and widgets through Django's Jinja2 templates, ≈ 3× faster per field (the renderer says
# why); the admin's own widget templates through the Django engine.
FORM_RENDERER = "agreements.forms.renderer.FormRenderer"

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        # Keep PostgreSQL connections open between requests; check them before reuse.
        conn_max_age=600,
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A page's queries read a few index entries: no parallel workers, which take ~10 ms to
    # start and, under load, the cores the other web workers need (docs/benchmarks.md); and no
    # JIT compilation, which PostgreSQL starts from a plan's estimated cost, not its rows: a
    # download's query of 17,000 rows (estimated at 600,000) spent 2.7 s compiling and 1.9 s
    # running. Appended, so a DATABASE_URL's own options stay.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (
        f"{options.get('options', '')} -c max_parallel_workers_per_gather=0 -c jit=off".strip()
    )
    # Parameters sent apart from the SQL, and a query the connection has run five times
    # prepared: PostgreSQL then parses and plans it no more. A page's SQL is the same text
    # from one request to the next (the same queryset, or SQL made once a process:
    # models/unions.py), and parsing and planning it was half of what the database spent on a
    # page (a summit's page: 7.0 → 3.2 ms of PostgreSQL's CPU, and 1 ms less of Python's, as
    # psycopg no longer writes the values into the SQL). Not for a pooler in transaction mode.
    options.setdefault("server_side_binding", True)
    options.setdefault("prepare_threshold", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins, so two concurrent edits queue
    # (and the version check sees the first) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "agreements:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The interface in English and Spanish, each named in its own language in the switcher. A user's
# choice is kept on their Preference (every device, and their emails) and in a cookie (before
# sign-in); otherwise the browser's Accept-Language decides. Compiled catalogues (.mo) are
# committed, so a fresh clone shows Spanish without gettext installed.
LANGUAGES = [("en-gb", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and WhiteNoise serves from: staticfiles/ in the checkout unless set
# (a deployment whose code is read-only points it elsewhere).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# With DEBUG off, collectstatic names each file after a hash of its content (tracker.3f2a9c.css)
# and writes gzip and Brotli copies beside it; WhiteNoise serves those with a far-future
# Cache-Control ("immutable") and the compressed copy the browser accepts. A file missing from
# the manifest is an error (manifest_strict, Django's default): a page that names a file that
# does not exist fails on the first try, not later in a browser. With DEBUG on (the demo),
# plain names served from the source folders, no collectstatic needed to see a change. The test
# suite renders with plain names too (tests/conftest.py says why); tests/test_gunicorn.py serves
# the hashed, compressed files as production does.
# Documents kept with sources (#23, agreements/models/files.py) are evidence: in the demo, and
# wherever EVIDENCE_S3_BUCKET is not set, a folder under var/ that no URL serves (the file view
# checks permission on every request and streams it); in production an S3-compatible bucket,
# private, whose objects the view hands out by an address signed for EVIDENCE_URL_SECONDS.
# A key is never reused: no file is overwritten.
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT") or BASE_DIR / "var" / "evidence")
EVIDENCE_URL_SECONDS = int(os.environ.get("EVIDENCE_URL_SECONDS", "60"))
if os.environ.get("EVIDENCE_S3_BUCKET"):
    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["EVIDENCE_S3_BUCKET"],
            "endpoint_url": os.environ.get("EVIDENCE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("EVIDENCE_S3_REGION") or None,
            "access_key": os.environ.get("EVIDENCE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("EVIDENCE_S3_PREFIX", "evidence"),
            "addressing_style": os.environ.get("EVIDENCE_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": EVIDENCE_URL_SECONDS,
        },
    }
else:
    EVIDENCE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EVIDENCE_ROOT, "base_url": None, "allow_overwrite": False},
    }
# Behind nginx, the internal location that serves EVIDENCE_ROOT (``internal;``): the view then
# answers with X-Accel-Redirect and nginx sends the bytes. Empty: the view streams them.
EVIDENCE_ACCEL_REDIRECT = os.environ.get("EVIDENCE_ACCEL_REDIRECT", "").rstrip("/")
# Django's own upload handlers, after one that notes each file's name as its sender wrote it
# (agreements/uploads.py): a kept document whose name held a path is refused, not renamed.
FILE_UPLOAD_HANDLERS = [
    "agreements.uploads.NamesAsSent",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# What is kept (agreements/documents.py): a file's size as uploaded; for a Word or ODF file (a
# zip), what its directory says it unpacks to, and the most any one part may grow unpacked;
# the words kept for search from one file.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_MB", "25")) * 1024 * 1024
EVIDENCE_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
EVIDENCE_MAX_ZIP_RATIO = 100
EVIDENCE_MAX_TEXT_CHARS = 1_000_000

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": EVIDENCE_STORAGE,
    "staticfiles": {
        # Django's plain storage and WhiteNoise's hashed, compressed one, each file's address
        # worked out once a process (tracker/storages.py).
        "BACKEND": "tracker.storages.PlainAddressesKept"
        if DEBUG
        else "tracker.storages.HashedAddressesKept"
    },
}

# --- Security -------------------------------------------------------------------------------

# Sign-in throttling (django-axes, on both sign-in pages): after 5 failures for one username from
# one address, that pair is refused for 15 minutes, even with the right password; a success
# clears the count. Unknown usernames are counted alike, so the answer never tells them apart.
# Extended (agreements/signin.py): after 20 failures for one username from any mix of
# addresses within 24 hours, that username is refused from every address for 24 hours, or
# until a records admin unlocks it (admin → Locked usernames); its owner is told by email.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_HANDLER = "agreements.signin.SignInHandler"
AXES_LOCKOUT_CALLABLE = "agreements.signin.lockout_response"
# Not django-axes's own admin pages: deleting attempts there would unlock without a trace in
# the security log. Records admins read the log and unlock usernames in ours.
AXES_ENABLE_ADMIN = False
USERNAME_FAILURE_LIMIT = 20
USERNAME_FAILURE_WINDOW = datetime.timedelta(hours=24)
# Behind a proxy every request comes from the proxy's address: the visitor's is the last of the
# X-Forwarded-For the proxy sets, believed from the proxies the deployment names in
# FORWARDED_ALLOW_IPS only (the same variable tells gunicorn whose X-Forwarded-Proto to believe).
# None by default, not even this machine: `make demo` and `make serve` listen on 127.0.0.1,
# where anything running on the machine could otherwise choose its address by the header.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS")
AXES_CLIENT_IP_CALLABLE = "tracker.proxy.client_ip"

# Two-factor sign-in (django-otp: an authenticator app, with recovery codes): anyone can turn
# it on; admins and editors must. TWO_FACTOR_EXEMPT names accounts spared (`make demo` names
# its four demo logins); TWO_FACTOR_REQUIRED=0 lifts the requirement altogether.
TWO_FACTOR_REQUIRED = env_flag("TWO_FACTOR_REQUIRED", default=True)
TWO_FACTOR_EXEMPT = env_list("TWO_FACTOR_EXEMPT")
OTP_TOTP_ISSUER = "Agreement tracker"
# The admin never shows a user's authenticator secret, its QR code or their recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Changing how one signs in (password, second factor), or making what opens the tracker without
# a password (API keys, a calendar address), asks again for the code, or for the password
# without a second factor, unless given within this many seconds (agreements/reauth.py).
RECENT_CONFIRMATION_SECONDS = 10 * 60

# Django's database sessions, read by SQL made once a process (agreements/sessions.py).
SESSION_ENGINE = "agreements.sessions"
# Sessions end after 30 minutes without a request and 12 hours after sign-in, whatever happens
# (``agreements.middleware.session_limits``); the cookie dies with the browser.
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS unless DEBUG is on (HTTPS=0 turns it off for plain HTTP on a trusted loopback only).
HTTPS = env_flag("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# A load balancer checks each app server directly, over plain HTTP: answer it, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if proxy_header := os.environ.get("PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy, on every page including the admin: scripts, styles and images from
# this site only; no inline script, no eval (htmx runs with allowEval off), no plugins, no
# <base>, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Spreadsheet imports ------------------------------------------------------------------------

# A file of commitments or milestones (agreements/imports.py) is refused, with the reason next
# to the file field, above any of these, before a row of it is read: its size as uploaded, the
# records it holds, and for an Excel file (a zip) the size it unpacks to, as its directory
# declares, and its cells, shared texts and cell styles counted together (openpyxl's time and
# memory grow with those: 20,000 take it about a second; a file of 50 KB can hold a million).
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 600
IMPORT_XLSX_MAX_UNPACKED_BYTES = 10 * 1024 * 1024
IMPORT_XLSX_MAX_CELLS = 20_000

# --- Email and background work ---------------------------------------------------------------

# Reminders and follower notices are sent by background tasks (agreements/tasks.py): enqueued
# as rows of our own database, run by `manage.py db_worker` (as many processes, on as many
# machines, as wanted: each claims a task with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Django 6.1's MAILERS (the EMAIL_* settings are deprecated), built from the same environment
# variables as ever. Each backend takes only its own options.
mail_backends = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
mail_backend = os.environ.get("EMAIL_BACKEND") or ("console" if DEBUG else "smtp")
mail_backend = mail_backends.get(mail_backend, mail_backend)
if mail_backend == mail_backends["smtp"]:
    mail_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_flag("EMAIL_USE_TLS"),
        "timeout": 30,
    }
elif mail_backend == mail_backends["file"]:
    mail_options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))}
else:
    mail_options = {}
MAILERS = {"default": {"BACKEND": mail_backend, "OPTIONS": mail_options}}

# Logs: one JSON object per line on stdout (tracker/logs.py), each with the request's id;
# gunicorn's access log writes the same shape (tracker/gunicorn.conf.py). LOG_LEVEL: WARNING
# by default (errors, refused requests); INFO adds more of Django's own.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "tracker.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    # Django's own loggers lose their default handlers (plain text, DEBUG only, mail) and pass
    # everything to ours; runserver's access lines (django.server) stay as they are.
    # The security log (agreements.actions.security) is written whatever LOG_LEVEL says: a
    # sign-in, failure, lockout or credential change is an INFO line a security officer reads.
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "security": {"level": "INFO", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

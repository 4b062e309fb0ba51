"""vocsite settings: one module, driven by environment variables only.

With nothing set, vocsite runs embedded: SQLite, Celery tasks executed in-process, emails
written as files under var/mail. DATABASE_URL and REDIS_URL switch to the production shape.
Every helper below fails at start-up with a message naming the variable, rather than letting
a malformed value surface later as a confusing error.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw = env_str(name, default)
    if not raw:
        return raw
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}; got {raw!r}."
        )
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
# Tooling (makemigrations, check, compilemessages) runs without a secret; serving or running a
# worker without one refuses to start (vocsite.startup), and `check --deploy` reports it.
SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = "insecure-key-for-development-and-tooling-only"  # noqa: S105 - never serves without DEBUG

# Absolute links in emails come from here, never from the request's Host header.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [urlsplit(SITE_URL).hostname or "127.0.0.1", "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "vocsite.apps.VocsiteConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "csp",
    "surveys",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vocsite.middleware.RejectNulInQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vocsite.urls"
WSGI_APPLICATION = "vocsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "vocsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
else:
    # Off by default: a health check is one more statement and commit on every request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# Admin login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is locked for AXES_COOLOFF_MINUTES. Counting the pair, not the
# username alone, keeps a stranger from locking an administrator out from anywhere.
AUTHENTICATION_BACKENDS = ["vocsite.auth.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "vocsite.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "vocsite.clientaddress.client_address"
AXES_VERBOSE = False
# Its records stay out of the admin (which the team access policy governs); `manage.py axes_reset` lifts a lockout.
AXES_ENABLE_ADMIN = False

# Email: with no EMAIL_URL, every message is written as a file a person can open in var/mail.
EMAIL_URL = env_url("EMAIL_URL", "", schemes=("smtp", "smtps", "file", "console"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vocsite <surveys@localhost>")
if EMAIL_URL:
    _email = urlsplit(EMAIL_URL)
    if _email.scheme in {"smtp", "smtps"}:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _email.hostname or "localhost"
        EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
        EMAIL_HOST_USER = _email.username or ""
        EMAIL_HOST_PASSWORD = _email.password or ""
        EMAIL_USE_SSL = _email.scheme == "smtps"
        EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
        EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
    elif _email.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    else:
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = _email.path
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(BASE_DIR / "var" / "mail")

# Celery: with no REDIS_URL, tasks run in-process, eagerly, so the embedded default needs
# no broker. The database stays the source of truth either way; the broker only wakes work up.
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
CELERY_BROKER_URL = REDIS_URL or "memory://"
if REDIS_URL:
    CELERY_BROKER_TRANSPORT = "vocsite.broker:Transport"  # Redis, hardened (see vocsite/broker.py)
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "vocsite")
# A message is acknowledged only after its task ran, so a worker killed mid-task loses nothing:
# when a pool process dies, its task is sent again (retry_on_worker_lost, or requeued if that
# publish fails), counted against the task's max_retries so a message that kills its worker
# every time stops coming back (vocsite.celery.VocsiteTask). Every task is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_RETRY_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")
# A web request must never hang on a broker outage: publishing is one attempt bounded by these
# timeouts (vocsite.queueing), and what the broker does not take waits in the outbox.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged message to another worker after this long, so it must
    # outlast the longest task (contact imports: about an hour) and any countdown; a killed
    # worker's message comes back after it, and the periodic sweeps do not wait that long.
    "visibility_timeout": 2 * 60 * 60,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 1,
    # A command Redis does not answer within this is given up (the worker's BRPOP is not
    # bound by it): a publish to a hung Redis must leave time to answer within 2 s.
    "socket_timeout": 0.5,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Workers wait out a broker outage however long it lasts, and reconnect by themselves.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = TIME_ZONE
TICK_SECONDS = env_int("TICK_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The periodic ticks do all time-driven work and find whatever a lost message left undone:
    # distribution (due distributions, due and lost emails, reminders, stalled imports) and
    # feedback (lost tagging and routing, reminders, escalations, rollups, digests, health).
    # Each step is idempotent (claims, unique keys), so two beats or a rerun are harmless.
    "distribution-tick": {"task": "surveys.tasks.distribution_tick", "schedule": TICK_SECONDS},
    "feedback-tick": {"task": "feedback.tasks.feedback_tick", "schedule": TICK_SECONDS},
    "outbox-publish": {"task": "vocsite.tasks.outbox_publish", "schedule": TICK_SECONDS},
}
# The sweeps leave work this young alone: its own message is most likely still on its way.
SWEEP_GRACE_SECONDS = env_int("SWEEP_GRACE_SECONDS", 120, minimum=1)

# Webhooks (feedback/webhooks/): only https to public addresses unless this is on, for on-premise
# receivers on private networks (then http and private or loopback addresses are allowed; cloud
# metadata addresses never are). A subscription is disabled, and its team told, once this many
# messages in a row have failed every attempt of the retry schedule (about a day each).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES = env_int("WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES", 1, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Sent and failed messages (and their attempts) are deleted after this many days.
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30, minimum=1)
# Signing secrets are stored encrypted under a key derived from this (default: SECRET_KEY). Set it
# on its own in production: changing it makes every stored secret unreadable (rotate them all).
WEBHOOK_ENCRYPTION_KEY = env_str("WEBHOOK_ENCRYPTION_KEY") or SECRET_KEY
# Certificates of the authorities whose https receivers are trusted, as a PEM file, instead of the
# system's (an on-premise receiver with a certificate from an internal authority). Unset: the system's.
WEBHOOK_CA_FILE = env_str("WEBHOOK_CA_FILE") or None
if WEBHOOK_CA_FILE and not Path(WEBHOOK_CA_FILE).is_file():
    raise ImproperlyConfigured(
        f"WEBHOOK_CA_FILE must name a PEM file of certificates; {WEBHOOK_CA_FILE!r} is not a file."
    )

# Distribution: how invitations are sent.
CONTACT_FREQUENCY_DAYS = env_int("CONTACT_FREQUENCY_DAYS", 30)
SEND_BATCH_SIZE = env_int("SEND_BATCH_SIZE", 200, minimum=1)
SEND_RATE_PER_MINUTE = env_int("SEND_RATE_PER_MINUTE", 0)  # 0: no limit
SEND_LEASE_SECONDS = env_int("SEND_LEASE_SECONDS", 600, minimum=1)
SEND_MAX_ATTEMPTS = env_int("SEND_MAX_ATTEMPTS", 8, minimum=1)
SEND_RETRY_BASE_SECONDS = env_int("SEND_RETRY_BASE_SECONDS", 60, minimum=1)
CONTACT_IMPORT_LEASE_SECONDS = env_int("CONTACT_IMPORT_LEASE_SECONDS", 300, minimum=1)

REST_FRAMEWORK = {
    # API tokens are stored hashed (surveys.tokens); sessions serve the browsable API and the docs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "surveys.token_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_FILTER_BACKENDS": [
        "surveys.access_api.ScopedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "vocsite.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "vocsite.throttling.UserRateThrottle",
        "vocsite.throttling.AnonRateThrottle",
        "vocsite.throttling.ActionRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "vocsite.api.exception_handler",
}

# API rate limits, in requests per minute: each user's, each anonymous client address's, and the
# stricter ones for creating and revoking API tokens and for exporting or erasing a contact.
# Counted in the cache (Redis when REDIS_URL is set, so shared by every web process).
API_RATES = {
    "user": f"{env_int('API_RATE_PER_MINUTE', 600, minimum=1)}/minute",
    "anon": f"{env_int('API_RATE_ANONYMOUS_PER_MINUTE', 60, minimum=1)}/minute",
    "api_tokens": f"{env_int('API_RATE_TOKENS_PER_MINUTE', 10, minimum=1)}/minute",
    "contact_privacy": f"{env_int('API_RATE_CONTACT_PRIVACY_PER_MINUTE', 30, minimum=1)}/minute",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "vocsite API",
    "DESCRIPTION": "Surveys, responses and answers of a self-hosted voice-of-customer system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI from our own static files: no third-party assets, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("kind") or appear under several names get one name each.
    "ENUM_NAME_OVERRIDES": {
        "InvitationKindEnum": "surveys.models.Invitation.Kind",
        "AlertRuleKindEnum": "feedback.models.AlertRule.Kind",
        "LanguageEnum": "surveys.models.Language",
        "ErasureReasonEnum": "surveys.models.ContactErasure.Reason",
        "SuppressionReasonEnum": "surveys.models.SuppressedAddress.Reason",
    },
}

# Privacy. An erased contact's address is kept only as an HMAC under this key, on the suppression
# list. Set it on its own in production: if it follows SECRET_KEY, rotating SECRET_KEY empties
# the suppression list in effect, and erased people could be emailed again if they are re-added.
PRIVACY_HASH_KEY = env_str("PRIVACY_HASH_KEY") or SECRET_KEY

# Retention: personal data of each class is redacted (or the contact erased) once it is older
# than its window, by a nightly job. 0 keeps it for ever. See vocsite/privacy/retention.py.
RETENTION_DAYS = {
    "free_text": env_int("RETENTION_FREE_TEXT_DAYS", 730),
    "staff_notes": env_int("RETENTION_STAFF_NOTES_DAYS", 730),
    "email_content": env_int("RETENTION_EMAIL_CONTENT_DAYS", 180),
    "delivery_errors": env_int("RETENTION_DELIVERY_ERRORS_DAYS", 90),
    "import_files": env_int("RETENTION_IMPORT_FILES_DAYS", 30),
    "digest_quotes": env_int("RETENTION_DIGEST_QUOTES_DAYS", 365),
    "contact_identity": env_int("RETENTION_INACTIVE_CONTACT_DAYS", 0),
}
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, minimum=1)
RETENTION_HOUR = env_int("RETENTION_HOUR", 3)
if RETENTION_HOUR > 23:
    raise ImproperlyConfigured(f"RETENTION_HOUR must be an hour from 0 to 23; got {RETENTION_HOUR}.")
# Nightly; two beats or a rerun are harmless, since the job only touches what is not yet redacted.
CELERY_BEAT_SCHEDULE["privacy-retention"] = {
    "task": "vocsite.tasks.privacy_retention",
    "schedule": crontab(hour=RETENTION_HOUR, minute=17),
}

# Customer health (feedback/health/): a score starts at the baseline and each input moves it by up
# to its weight (edited in admin); the bands split 0-100 into critical, at risk and healthy.
HEALTH_BASELINE = env_int("HEALTH_BASELINE", 50)
HEALTH_HEALTHY_FROM = env_int("HEALTH_HEALTHY_FROM", 70)
HEALTH_CRITICAL_BELOW = env_int("HEALTH_CRITICAL_BELOW", 40)
HEALTH_WINDOW_DAYS = env_int("HEALTH_WINDOW_DAYS", 90, minimum=7)
HEALTH_BATCH_SIZE = env_int("HEALTH_BATCH_SIZE", 500, minimum=1)
if not 0 <= HEALTH_CRITICAL_BELOW <= HEALTH_HEALTHY_FROM <= 100 or HEALTH_BASELINE > 100:
    raise ImproperlyConfigured(
        "Health settings need 0 <= HEALTH_CRITICAL_BELOW <= HEALTH_HEALTHY_FROM <= 100 and HEALTH_BASELINE <= 100; "
        f"got {HEALTH_CRITICAL_BELOW}, {HEALTH_HEALTHY_FROM} and {HEALTH_BASELINE}."
    )

# Free-text answers are capped before they are stored or analysed.
ANSWER_TEXT_MAX_LENGTH = env_int("ANSWER_TEXT_MAX_LENGTH", 5000, minimum=100)

# Bodies: a form or JSON body larger than this is refused with a 400 before it is parsed (file
# uploads are limited by their own check); JSON nested deeper than API_JSON_MAX_DEPTH is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=65_536)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=100)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32, minimum=4)

# Client addresses (rate limits, login lockout): behind N reverse proxies that each append to
# X-Forwarded-For, the client is the Nth address from the right; 0 trusts no header.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Shared state between processes (the failed-link and API rate limits): Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vocsite-cache",
            # A Redis outage must not hang a page: give up fast (the limiter then lets requests through).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Survey links: the token in an email link is exchanged for a signed cookie scoped to that
# link's path, and the browser is sent on to a URL without the token. A client address whose
# lookups fail LINK_FAILURE_LIMIT times within LINK_FAILURE_WINDOW_SECONDS waits out the window.
LINK_COOKIE_MAX_AGE = env_int("LINK_COOKIE_MAX_AGE_DAYS", 90, minimum=1) * 24 * 3600
LINK_FAILURE_LIMIT = env_int("LINK_FAILURE_LIMIT", 20, minimum=1)
LINK_FAILURE_WINDOW_SECONDS = env_int("LINK_FAILURE_WINDOW_SECONDS", 600, minimum=1)

# Security headers. HSTS and the HTTPS redirect only make sense for a site served over HTTPS.
HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS and not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading commits the whole registrable domain to HTTPS in browsers: an owner's choice.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content security policy (django-csp): no inline script or event handler anywhere, nothing
# from other origins, no framing. Inline styles stay allowed: the admin, the dashboard's SVG
# charts and the digest (an email template, so styled inline) use them, and every page escapes
# what people typed, so a style cannot be injected without an HTML injection to carry it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Every handler masks email addresses and link tokens (vocsite.privacy.logs); Celery's own
# handlers get the same filter (vocsite.celery), and gunicorn's through the Procfile.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "vocsite.privacy.logs.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

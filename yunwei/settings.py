"""Yunwei settings: environment variables only, each read through a strict helper.

Every variable is listed with its default in `.env.example` and the README.
"""

import datetime
import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("YUNWEI_VAR_DIR", Path.cwd() / "var")).resolve()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("YUNWEI_DEBUG", False)
# The default key is for the embedded demo only; production sets YUNWEI_SECRET_KEY (docs/deploy.md).
SECRET_KEY = env_str("YUNWEI_SECRET_KEY", "yunwei-embedded-demo-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("YUNWEI_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("YUNWEI_CSRF_TRUSTED_ORIGINS", "")

# Behind nginx with TLS (scale mode) the cookies and redirects become secure.
HTTPS = env_bool("YUNWEI_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session ends after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS after its
# log-in whatever its use (yunwei.accounts.middleware.SessionTimeoutMiddleware); the cookie lives as long.
SESSION_IDLE_SECONDS = env_int("YUNWEI_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("YUNWEI_SESSION_SECONDS", 12 * 3600)
if not 60 <= SESSION_IDLE_SECONDS <= SESSION_ABSOLUTE_SECONDS:
    raise ImproperlyConfigured(
        "YUNWEI_SESSION_IDLE_SECONDS must be at least 60 and at most YUNWEI_SESSION_SECONDS"
    )
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS

# Content security policy (django-csp): scripts only from our own static files, never inline code (no
# <script> blocks, no on*= attributes: tests/core/test_security.py scans the templates). Inline style
# attributes stay allowed (Bootstrap's and ECharts' own element styles); nothing loads from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "yunwei.audit",
    "yunwei.core",
    "yunwei.accounts",
    "yunwei.org",
    "yunwei.cmdb",
    "yunwei.incidents",
    "yunwei.notify",
    "yunwei.problems",
    "yunwei.changes",
    "yunwei.monitoring",
    "yunwei.alerts",
    "yunwei.logbook",
    "yunwei.compliance",
    "yunwei.reports",
    "yunwei.servicedesk",
    "yunwei.knowledge",
    "yunwei.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yunwei.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yunwei.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yunwei.urls"
WSGI_APPLICATION = "yunwei.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yunwei.web.context.navigation",
                "yunwei.web.context.background_watch",
                "yunwei.web.context.inbox",
            ],
        },
    }
]

DATABASE_URL = env_str("YUNWEI_DATABASE_URL", f"sqlite:///{VAR_DIR / 'yunwei.sqlite3'}")
DATABASES = {
    # Health checks: a kept connection that broke while idle (PostgreSQL restarted, a fail-over) is
    # replaced when the next request begins, instead of failing that request with a 500.
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("YUNWEI_DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the worker writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# -- the group's directory (LDAP / Active Directory, docs/directory.md): off while YUNWEI_LDAP_URL is empty;
# then it needs the `ldap` extra (python-ldap, django-auth-ldap).
LDAP_URL = env_str("YUNWEI_LDAP_URL", "")
LDAP_BIND_DN = env_str("YUNWEI_LDAP_BIND_DN", "")
LDAP_BIND_PASSWORD = env_str("YUNWEI_LDAP_BIND_PASSWORD", "")
LDAP_USER_BASE = env_str("YUNWEI_LDAP_USER_BASE", "")
LDAP_USER_FILTER = env_str("YUNWEI_LDAP_USER_FILTER", "(uid=%(user)s)")
LDAP_ACTIVE_FILTER = env_str("YUNWEI_LDAP_ACTIVE_FILTER", "")
LDAP_GROUP_BASE = env_str("YUNWEI_LDAP_GROUP_BASE", "")
LDAP_GROUP_TYPE = env_str("YUNWEI_LDAP_GROUP_TYPE", "group_of_names")
if LDAP_GROUP_TYPE not in ("group_of_names", "active_directory", "flat_group_of_names"):
    raise ImproperlyConfigured(
        "YUNWEI_LDAP_GROUP_TYPE must be group_of_names, active_directory or flat_group_of_names"
    )
LDAP_TIMEOUT = env_int("YUNWEI_LDAP_TIMEOUT", 3)
LDAP_START_TLS = env_bool("YUNWEI_LDAP_START_TLS", False)
LDAP_SYNC_MINUTES = env_int("YUNWEI_LDAP_SYNC_MINUTES", 15)
if LDAP_URL:
    if importlib.util.find_spec("ldap") is None or importlib.util.find_spec("django_auth_ldap") is None:
        raise ImproperlyConfigured(
            "YUNWEI_LDAP_URL is set but the ldap extra is not installed: "
            "pip install -e '.[ldap]' (docs/directory.md)"
        )
    AUTHENTICATION_BACKENDS.append("yunwei.accounts.directory.DirectoryBackend")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("YUNWEI_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock-out after repeated failures (django-axes): per account and address.
AXES_FAILURE_LIMIT = env_int("YUNWEI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("YUNWEI_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "yunwei.accounts.views.locked_out"
AXES_VERBOSE = False

# TOTP second factor: optional for everyone, mandatory for admins when this is true.
REQUIRE_TOTP_FOR_ADMINS = env_bool("YUNWEI_REQUIRE_TOTP_FOR_ADMINS", False)
OTP_TOTP_ISSUER = "Yunwei"
API_TOKEN_DAYS = env_int("YUNWEI_API_TOKEN_DAYS", 90)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("YUNWEI_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "yunwei.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "yunwei.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "yunwei.core.schema.YunweiAutoSchema",
    "EXCEPTION_HANDLER": "yunwei.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yunwei API",
    "DESCRIPTION": (
        "运维管理平台 API: organisation, inventory, incidents, problems, changes, "
        "notifications, accounts, audit."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Links from each create to the operations on the record it made (yunwei.core.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "yunwei.core.schema.add_links_from_creates",
    ],
    # One name for the maintenance domains wherever a serializer offers them.
    # Choice sets of the same field name in several apps (state, to, kind…) get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "DomainEnum": "yunwei.org.choices.Domain",
        "IncidentStateEnum": "yunwei.incidents.choices.State",
        "GradeEnum": "yunwei.incidents.choices.Grade",
        "IncidentSourceEnum": "yunwei.incidents.choices.Source",
        "SignalSourceEnum": "yunwei.incidents.choices.SignalSource",
        "SignalStateEnum": "yunwei.incidents.choices.SignalState",
        "ClosedAsEnum": "yunwei.incidents.choices.ClosedAs",
        "ProblemStateEnum": "yunwei.problems.choices.State",
        "ChangeStateEnum": "yunwei.changes.choices.State",
        "ChangeKindEnum": "yunwei.changes.choices.ChangeKind",
        "ChangeRiskEnum": "yunwei.changes.choices.Risk",
        "CheckKindEnum": "yunwei.monitoring.choices.CheckKind",
        "AlertStatusEnum": "yunwei.alerts.choices.AlertStatus",
        "ReviewStateEnum": "yunwei.logbook.choices.ReviewState",
        "RectificationStateEnum": "yunwei.logbook.choices.RectificationState",
        "LogbookEventKindEnum": "yunwei.logbook.choices.EventKind",
        "EscalatedToEnum": "yunwei.logbook.choices.EscalatedTo",
        "ComplianceOutcomeEnum": "yunwei.compliance.choices.Outcome",
        "ComplianceCarriedByEnum": "yunwei.compliance.choices.CarriedBy",
        "ExemptionStateEnum": "yunwei.compliance.choices.ExemptionState",
        "ExemptionDecisionEnum": "yunwei.compliance.choices.ExemptionDecision",
        "ChangeDecisionEnum": "yunwei.changes.choices.Decision",
        "ComplianceRunStateEnum": "yunwei.compliance.choices.RunState",
        "ComplianceRunKindEnum": "yunwei.compliance.choices.RunKind",
        "RequestKindEnum": "yunwei.servicedesk.choices.Kind",
        "RequestStateEnum": "yunwei.servicedesk.choices.State",
        "RequestEscalationLevelEnum": "yunwei.servicedesk.choices.EscalationLevel",
        "ProblemEscalationLevelEnum": "yunwei.problems.choices.EscalationLevel",
        "ReportStateEnum": "yunwei.reports.choices.State",
        "KnowledgeStateEnum": "yunwei.knowledge.choices.State",
        "CheckStateEnum": "yunwei.monitoring.choices.CheckState",
        "ReportEventKindEnum": "yunwei.reports.choices.EventKind",
        "ReportFormatEnum": "yunwei.reports.choices.Format",
    },
}

# Celery: embedded mode uses the filesystem broker under var/ (no server); scale mode sets a Redis URL.
CELERY_BROKER_URL = env_str("YUNWEI_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Publishing to a broker that is away must not hold a request: refused, it fails within a second; hung (a
# stopped process, packets dropped), each reply is awaited 5 s and a failed publish retried once, so about
# 15 s at worst instead of for ever. What was not queued is logged (robust on-commit callbacks), and the
# outboxes and sweeps, which read PostgreSQL, pick the work up once the broker is back (docs/deploy.md).
REDIS_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TASK_ALWAYS_EAGER = env_bool("YUNWEI_TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task has an explicit route; tests/core/test_tasks.py fails when one has none.
CELERY_TASK_ROUTES = {
    "yunwei.core.tasks.record_worker_heartbeat": {"queue": "default"},
    "yunwei.notify.tasks.deliver": {"queue": "default"},
    "yunwei.notify.tasks.sweep_deliveries": {"queue": "default"},
    "yunwei.incidents.tasks.reevaluate_grades": {"queue": "default"},
    "yunwei.incidents.tasks.warn_sla_breaches": {"queue": "default"},
    "yunwei.incidents.tasks.sweep_windows": {"queue": "default"},
    "yunwei.problems.tasks.escalate_overdue_problems": {"queue": "default"},
    "yunwei.changes.tasks.remind_overdue_approvals": {"queue": "default"},
    "yunwei.monitoring.tasks.sweep_heartbeats": {"queue": "default"},
    "yunwei.monitoring.tasks.tell_heartbeat_state": {"queue": "default"},
    "yunwei.monitoring.tasks.dispatch_due_checks": {"queue": "default"},
    "yunwei.monitoring.tasks.run_check": {"queue": "default"},
    "yunwei.monitoring.tasks.run_checks": {"queue": "default"},
    "yunwei.monitoring.tasks.roll_up_checks": {"queue": "default"},
    "yunwei.monitoring.tasks.prune_check_results": {"queue": "default"},
    "yunwei.monitoring.tasks.evaluate_indicators": {"queue": "default"},
    "yunwei.alerts.tasks.sweep_stale_alerts": {"queue": "default"},
    "yunwei.alerts.tasks.sweep_silent_integrations": {"queue": "default"},
    "yunwei.alerts.tasks.correlate_alerts": {"queue": "default"},
    "yunwei.alerts.tasks.link_alert_incidents": {"queue": "default"},
    "yunwei.alerts.tasks.prune_payloads": {"queue": "default"},
    "yunwei.logbook.tasks.sweep_overdue": {"queue": "default"},
    "yunwei.compliance.tasks.run_compliance": {"queue": "default"},
    "yunwei.compliance.tasks.nightly_compliance": {"queue": "default"},
    "yunwei.reports.tasks.generate_report": {"queue": "default"},
    "yunwei.reports.tasks.render_signed_files": {"queue": "default"},
    "yunwei.servicedesk.tasks.escalate_overdue_requests": {"queue": "default"},
    "yunwei.servicedesk.tasks.close_waiting_requests": {"queue": "default"},
    "yunwei.accounts.tasks.sync_directory": {"queue": "default"},
    "yunwei.audit.tasks.write_audit_anchor": {"queue": "default"},
    "yunwei.web.tasks.build_export": {"queue": "default"},
    "yunwei.web.tasks.expire_exports": {"queue": "default"},
    "yunwei.audit.tasks.verify_audit_chain": {"queue": "default"},
    "yunwei.audit.tasks.seal_audit_events": {"queue": "default"},
    "yunwei.monitoring.tasks.tell_untold_heartbeat_changes": {"queue": "default"},
    "yunwei.compliance.tasks.requeue_compliance_runs": {"queue": "default"},
    "yunwei.web.tasks.requeue_exports": {"queue": "default"},
    "yunwei.reports.tasks.requeue_reports": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "yunwei.core.tasks.record_worker_heartbeat", "schedule": 60.0},
    "notify-sweep-deliveries": {"task": "yunwei.notify.tasks.sweep_deliveries", "schedule": 60.0},
    "incident-grades": {"task": "yunwei.incidents.tasks.reevaluate_grades", "schedule": 60.0},
    "incident-sla-breaches": {"task": "yunwei.incidents.tasks.warn_sla_breaches", "schedule": 60.0},
    # Maintenance windows: their start and end told, and what they held back placed again at their end.
    "incident-windows": {"task": "yunwei.incidents.tasks.sweep_windows", "schedule": 60.0},
    # Deadlines are whole days; a quarter-hour sweep tells people within minutes of midnight.
    "problem-escalations": {"task": "yunwei.problems.tasks.escalate_overdue_problems", "schedule": 900.0},
    "change-approval-reminders": {"task": "yunwei.changes.tasks.remind_overdue_approvals", "schedule": 300.0},
    "heartbeat-sweep": {"task": "yunwei.monitoring.tasks.sweep_heartbeats", "schedule": 60.0},
    # Checks run every 10 s at the shortest: a tick of that length starts each within its slot.
    "check-dispatch": {"task": "yunwei.monitoring.tasks.dispatch_due_checks", "schedule": 10.0},
    # Rewriting the last two closed hours every quarter makes up a run missed while the scheduler was down.
    "check-rollups": {"task": "yunwei.monitoring.tasks.roll_up_checks", "schedule": 900.0},
    "check-retention": {"task": "yunwei.monitoring.tasks.prune_check_results", "schedule": 6 * 3600.0},
    # Yesterday's indicator figures against their targets: a daily duty, run hourly so a night the scheduler
    # was down is made up; a breach is recorded and told once whatever the number of runs.
    "indicator-breaches": {"task": "yunwei.monitoring.tasks.evaluate_indicators", "schedule": 3600.0},
    "alert-stale-sweep": {"task": "yunwei.alerts.tasks.sweep_stale_alerts", "schedule": 300.0},
    "alert-silence-sweep": {"task": "yunwei.alerts.tasks.sweep_silent_integrations", "schedule": 60.0},
    # Intake asks for a drain of its correlation outbox as it stores; this one takes what came in between.
    "alert-correlation": {"task": "yunwei.alerts.tasks.correlate_alerts", "schedule": 10.0},
    "alert-incident-links": {"task": "yunwei.alerts.tasks.link_alert_incidents", "schedule": 120.0},
    "alert-payload-retention": {"task": "yunwei.alerts.tasks.prune_payloads", "schedule": 3600.0},
    # Reviews past their day and rectifications past their deadline: whole days, swept every quarter hour.
    "logbook-overdue": {"task": "yunwei.logbook.tasks.sweep_overdue", "schedule": 900.0},
    # Every duty judged for the month each night: claimed once per day, beaten hourly to make up a night
    # the scheduler was down.
    "compliance-nightly": {"task": "yunwei.compliance.tasks.nightly_compliance", "schedule": 3600.0},
    # Targets count working minutes: a five-minute sweep tells an overdue request within minutes.
    "request-escalations": {"task": "yunwei.servicedesk.tasks.escalate_overdue_requests", "schedule": 300.0},
    "request-waiting-close": {"task": "yunwei.servicedesk.tasks.close_waiting_requests", "schedule": 3600.0},
    # The audit head copied outside the database, and the chain verified against it: incrementally each
    # night, in full each week (anchors.due_kind decides, so an hourly beat makes up missed nights).
    "audit-anchor": {"task": "yunwei.audit.tasks.write_audit_anchor", "schedule": 300.0},
    "audit-verify": {"task": "yunwei.audit.tasks.verify_audit_chain", "schedule": 3600.0},
    # Events are sealed just after their commit; this seals what a sealer left (a lost race, a failure).
    "audit-seal": {"task": "yunwei.audit.tasks.seal_audit_events", "schedule": 5.0},
    # Background exports past their keeping time: their files deleted.
    "export-expiry": {"task": "yunwei.web.tasks.expire_exports", "schedule": 900.0},
    # The directory tells nobody when it disables an account: asking it is what ends the account here.
    "directory-sync": {"task": "yunwei.accounts.tasks.sync_directory", "schedule": LDAP_SYNC_MINUTES * 60.0},
    # Work committed whose task was lost (the broker away when it was queued): taken up again past
    # REQUEUE_AFTER; each task claims its work, so a late original does nothing more.
    "heartbeat-untold": {"task": "yunwei.monitoring.tasks.tell_untold_heartbeat_changes", "schedule": 60.0},
    "compliance-requeue": {"task": "yunwei.compliance.tasks.requeue_compliance_runs", "schedule": 60.0},
    "export-requeue": {"task": "yunwei.web.tasks.requeue_exports", "schedule": 60.0},
    "report-requeue": {"task": "yunwei.reports.tasks.requeue_reports", "schedule": 60.0},
}
# Queued work (a ping's notice, a compliance run, an export, a report) not taken up this many seconds after
# it was committed is queued again by the sweeps above.
REQUEUE_AFTER = datetime.timedelta(seconds=env_int("YUNWEI_REQUEUE_AFTER", 120))
# A list export of more rows than this is built in the background (yunwei.web.export_jobs), kept this long.
EXPORT_JOB_ROWS = env_int("YUNWEI_EXPORT_JOB_ROWS", 10_000)
EXPORT_JOB_KEEP = datetime.timedelta(hours=env_int("YUNWEI_EXPORT_JOB_HOURS", 24))
EXPORT_JOB_DIR = VAR_DIR / "exports"
# Celery's persistent scheduler, writing its own heartbeat as it sends the worker's (yunwei.core.beat).
CELERY_BEAT_SCHEDULER = "yunwei.core.beat:Scheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# A heartbeat ping keeps this many bytes of its body as the run's log; the rest is cut, and the run says so.
PING_BODY_LIMIT = env_int("YUNWEI_PING_BODY_LIMIT", 10_000)
# An alert payload larger than this is refused with 413 (docs/alerts.md); Alertmanager's batches are far
# smaller.
ALERT_PAYLOAD_LIMIT = env_int("YUNWEI_ALERT_PAYLOAD_LIMIT", 1_000_000)
# Art. 5: a month's review not signed by this day of the next month is overdue (1–28).
LOGBOOK_REVIEW_DUE_DAY = env_int("YUNWEI_REVIEW_DUE_DAY", 10)
if not 1 <= LOGBOOK_REVIEW_DUE_DAY <= 28:
    raise ImproperlyConfigured(
        f"YUNWEI_REVIEW_DUE_DAY must be a day between 1 and 28, got {LOGBOOK_REVIEW_DUE_DAY}"
    )
# A log-book attachment larger than this many bytes is refused.
LOGBOOK_ATTACHMENT_LIMIT = env_int("YUNWEI_LOGBOOK_ATTACHMENT_LIMIT", 10_000_000)
# …and of these types only (the file name's extension): documents, images, logs and archives.
LOGBOOK_ATTACHMENT_TYPES = [
    t.lower().lstrip(".")
    for t in env_list(
        "YUNWEI_LOGBOOK_ATTACHMENT_TYPES",
        "pdf,png,jpg,jpeg,gif,webp,txt,log,csv,json,xml,xlsx,xls,docx,doc,pptx,ppt,zip,7z,gz,tar",
    )
]
# Uploaded files are refused by size and type before they are read (yunwei.core.uploads): the work
# calendar's CSV, and an .xlsx whose zip members unpack to more than this, or has more members.
CALENDAR_IMPORT_LIMIT = env_int("YUNWEI_CALENDAR_IMPORT_LIMIT", 1_000_000)
UPLOAD_XLSX_MAX_UNPACKED_BYTES = env_int("YUNWEI_XLSX_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
UPLOAD_XLSX_MAX_MEMBERS = env_int("YUNWEI_XLSX_MAX_MEMBERS", 1000)
# Art. 6: at most this many monthly reports are generated at once (the rest wait queued), each within this
# many seconds; a group's Word template is at most this many bytes.
REPORT_RENDERS = env_int("YUNWEI_REPORT_RENDERS", 2)
REPORT_TIME_LIMIT = env_int("YUNWEI_REPORT_TIME_LIMIT", 600)
REPORT_TEMPLATE_LIMIT = env_int("YUNWEI_REPORT_TEMPLATE_LIMIT", 5_000_000)

# The incident page shows the panels of the apps built on fault handling (apps depend downward only).
INCIDENT_PAGE_PANELS = ["problems/incident_page_panel.html"]
# The audit log keeps account and unit numbers; this function (of the org app) names them on its pages
# and exports, so the audit app depends on no other app.
AUDIT_NAMES = "yunwei.org.names.audit_names"
# The audit chain's head is copied outside the database every few minutes (yunwei.audit.anchors): to this
# append-only file and, when set, to syslog ("udp://host:514", "tcp://host:514" or a socket such as /dev/log).
AUDIT_ANCHOR_FILE = Path(env_str("YUNWEI_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit" / "anchors.jsonl")))
AUDIT_ANCHOR_SYSLOG = env_str("YUNWEI_AUDIT_SYSLOG", "")
# An audit event still unsealed (not yet numbered and chained) this many seconds after it was written is
# reported by the chain's verification: the sealer is not running (yunwei.audit.services.seal).
AUDIT_SEAL_LIMIT = env_int("YUNWEI_AUDIT_SEAL_LIMIT", 300)
# The change page shows the panels of the apps built on changes: the service requests it was made from
# (Art. 17) and the incidents it is suspected of (Art. 18).
CHANGE_PAGE_PANELS = ["servicedesk/change_page_panel.html", "incidents/change_page_panel.html"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("YUNWEI_LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: a line per HTTP check run would flood the worker's log.
    "loggers": {"axes": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

DEMO_PASSWORD = env_str("YUNWEI_DEMO_PASSWORD", "yunwei-demo")

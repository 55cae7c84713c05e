"""Configuration classes, one per environment (select with GOVSHARE_ENV or create_app(config))."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# Files the app keeps outside the database (the audit keyring and checkpoints, the SQLite demo database): beside
# the code in a checkout; an installed release sets GOVSHARE_INSTANCE (deploy/govshare.env: /var/lib/govshare).
INSTANCE_DIR = Path(os.environ.get("GOVSHARE_INSTANCE") or BASE_DIR / "instance")


# The development keys: known to everyone who reads this file, so production refuses them.
DEV_SECRET_KEY = "dev-only-not-secret"
DEV_AUDIT_KEY = "dev-only-audit-key-not-secret-0123456789abcdef"


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"

    # npm packages (bpmn-js, echarts) installed at setup; served under /vendor/.
    NODE_MODULES = os.environ.get("GOVSHARE_NODE_MODULES", str(BASE_DIR / "node_modules"))

    # The OpenAPI document (flask-smorest), generated from the API's marshmallow schemas.
    API_TITLE = "GovShare API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_url("govshare.db")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # UI language and the zone every time is shown and reasoned about in.
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # The pages are in Chinese only (#32: no claim of English without a catalog). Their texts go through
    # Flask-Babel's gettext, so `make messages` extracts them (babel.cfg) for a translation to come.
    LANGUAGES = ("zh_Hans_CN",)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # five 10 MB attachments and the form; larger requests get 413

    # Sign-in throttles (Flask-Limiter): a client that guesses is slowed, a stranger cannot lock a real user out
    # (the per-account limit counts failures per account *and* client; the account-wide one is far above what
    # one stranger may try).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_THROTTLE = True  # per application (the limiter object is shared by every app in a process)
    LOGIN_LIMIT_PER_CLIENT = "30 per minute;300 per hour"
    LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT = "5 per 15 minutes"
    # Someone who has the password still has to guess the dynamic code: a few wrong codes per account, then wait.
    SECOND_FACTOR_FAILURES_PER_ACCOUNT = "5 per 15 minutes"
    # An API token's last use is noted at most this often (reads stay reads; app/auth/services.py).
    TOKEN_USE_MINUTES = 5
    LOGIN_FAILURES_PER_ACCOUNT = "200 per hour"
    # Passwords (等保): length, three of four classes, not the username, not one of the last N; expiry (0 = off).
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_HISTORY = 5
    PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "0"))
    ENROLMENT_CODE_HOURS = 72
    # The second factor (TOTP) is required for these roles, optional for the others.
    SECOND_FACTOR_ROLES: tuple[str, ...] = ("admin", "security_admin", "auditor", "analyst")

    # Working-day deadlines: office close time for the "next-working-day-after-hours" rule.
    OFFICE_CLOSE_TIME = "17:30"

    # Only testing and demo set this: lets tests and the API move the one clock.
    ALLOW_CLOCK_OVERRIDE = False

    # Model code (scripts, conditions, timers, decision cells) runs in the sandbox with this budget per
    # evaluation; past it the case gets an incident, the studio a validation problem (app/engine/sandbox.py).
    EXPRESSION_MAX_STEPS = int(os.environ.get("EXPRESSION_MAX_STEPS", "200000"))
    EXPRESSION_MAX_SECONDS = float(os.environ.get("EXPRESSION_MAX_SECONDS", "1.0"))

    # 国家共享平台 (§18): where cross-province requests are forwarded; empty = the operator forwards by hand.
    NATIONAL_PLATFORM_ENDPOINT = os.environ.get("NATIONAL_PLATFORM_ENDPOINT", "")
    NATIONAL_PLATFORM_TIMEOUT = 10

    # The timer sweep (APScheduler): `govshare serve` runs it in the web process, `govshare scheduler` alone.
    TIMER_SWEEP_SECONDS = int(os.environ.get("TIMER_SWEEP_SECONDS", "30"))
    # Each scheduler process beats this often; /readyz is not ready when no beat is younger than 3 beats.
    SCHEDULER_HEARTBEAT_SECONDS = int(os.environ.get("SCHEDULER_HEARTBEAT_SECONDS", "30"))
    READYZ_REQUIRES_SCHEDULER = True
    FRESHNESS_WATCH_MINUTES = int(os.environ.get("FRESHNESS_WATCH_MINUTES", "60"))
    # Notices by e-mail (#15): off without MAIL_SERVER; mails wait in the outbox and are retried until sent
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "govshare@localhost")
    MAIL_SWEEP_SECONDS = int(os.environ.get("MAIL_SWEEP_SECONDS", "60"))
    # How often the scheduler calls the 国家共享平台 for queued cross-province lines (办法§18).
    NATIONAL_OUTBOX_SECONDS = int(os.environ.get("NATIONAL_OUTBOX_SECONDS", "30"))
    # How often the scheduler stores the §26 figures of steps that have none (or an older calendar's), #30.
    STEP_DAYS_MINUTES = int(os.environ.get("STEP_DAYS_MINUTES", "60"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Supervision (§26): health probes of data services, and what the overdue/interruption report lists.
    PROBE_INTERVAL_SECONDS = int(os.environ.get("PROBE_INTERVAL_SECONDS", "300"))
    PROBE_TIMEOUT_SECONDS = 5.0
    SUPERVISION_OVERDUE_DAYS = int(os.environ.get("SUPERVISION_OVERDUE_DAYS", "3"))  # working days past due
    # Repeat failings (#17): this many authorizations overdue in one month → a §31(二) rectification proposed
    REPEAT_FAILING_COUNT = int(os.environ.get("REPEAT_FAILING_COUNT", "3"))
    SUPERVISION_OUTAGE_MINUTES = int(os.environ.get("SUPERVISION_OUTAGE_MINUTES", "240"))
    # Raw data-call records older than this many months are dropped by the nightly calls-rollup job once their
    # month is rolled up (the §26 figures stay, from data_call_month); 0 keeps every call. README, Configuration.
    DATA_CALL_RETENTION_MONTHS = int(os.environ.get("DATA_CALL_RETENTION_MONTHS", "0"))

    # Audit chain checkpoints (§27), appended outside the database by the scheduler (app/audit/checkpoints.py).
    AUDIT_CHECKPOINT_FILE = os.environ.get(
        "AUDIT_CHECKPOINT_FILE", str(INSTANCE_DIR / "audit-checkpoints.jsonl")
    )
    AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "15"))
    # The audit key (app/audit/keys.py): each audit row is sealed with a MAC under it. Separate from SECRET_KEY.
    # `govshare audit rotate-key` starts a new key in the keyring file, keeping the earlier ones.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", DEV_AUDIT_KEY)
    AUDIT_KEYRING_FILE = os.environ.get("AUDIT_KEYRING_FILE", str(INSTANCE_DIR / "audit-keyring.json"))
    AUDIT_MAC_ALGORITHM = os.environ.get("AUDIT_MAC_ALGORITHM", "hmac-sm3")  # or hmac-sha256
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (nginx: 1); 0 = none, so a
    # client cannot forge the address recorded in the audit trail.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # PDF exports (通报): a CJK font (Debian: fonts-noto-cjk); the first file found is used
    PDF_FONTS = (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # face 2: Simplified Chinese
        ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    )
    # Logs (#32): one JSON line per request and per scheduled job run on stderr ("json"), or plain text ("text").
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Metrics (#32, GET /metrics, Prometheus): from these networks (comma-separated CIDRs), or with
    # `Authorization: Bearer METRICS_TOKEN` from anywhere. Behind nginx the address is the scraper's own
    # (TRUSTED_PROXIES). Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR (deploy/govshare.env).
    METRICS_ALLOW_NETWORKS = os.environ.get("METRICS_ALLOW_NETWORKS", "127.0.0.1/32,::1/128")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Freshness watch (#17): days of grace beyond a resource's 更新周期 before a §17 quality issue opens, by class
    FRESHNESS_MARGIN_DAYS = {"base": 1, "topic": 1, "department": 1, "default": 1}
    # The applicant is told this many working days before an authorization expires, and may apply to renew (#14)
    AUTHORIZATION_EXPIRY_NOTICE_DAYS = int(os.environ.get("AUTHORIZATION_EXPIRY_NOTICE_DAYS", "10"))


class DevelopmentConfig(Config):
    """Local development and the demo: SQLite file under instance/."""

    ENV_NAME = "development"
    DEBUG = False
    ALLOW_CLOCK_OVERRIDE = True
    # The demo's users sign in with the README's passwords alone (production requires the second factor).
    SECOND_FACTOR_ROLES = ()


class TestingConfig(Config):
    """The test suite: TEST_DATABASE_URL selects PostgreSQL, otherwise a throw-away SQLite file."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite:///:memory:"
    ALLOW_CLOCK_OVERRIDE = True
    # Cheap hashing keeps the suite fast; production uses argon2's defaults.
    ARGON2_FAST = True
    LOGIN_THROTTLE = False  # tests of the throttles turn it on with their own app
    AUDIT_CHECKPOINT_FILE = ""  # off: tests that check checkpoints give each its own file
    AUDIT_KEYRING_FILE = ""  # AUDIT_KEY only: tests that rotate give each its own keyring


class ProductionConfig(Config):
    """Production: PostgreSQL, real secrets, secure cookies, HSTS."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = "max-age=31536000; includeSubDomains"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 5}

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real session key and audit key (each 32+ characters, not the development
        ones, not one character repeated)."""
        for name, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("AUDIT_KEY", DEV_AUDIT_KEY)):
            key = getattr(cls, name)
            if not key or len(key) < 32 or key == dev or len(set(key)) < 8:
                raise RuntimeError(
                    f"生产环境必须设置 {name}（至少32个字符的随机值）/ "
                    f"production requires {name} (32+ random characters)"
                )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by GOVSHARE_ENV. Unset means production (safe by default: real keys
    required, the clock fixed); development and testing are chosen explicitly (the Makefile and tests do)."""
    name = os.environ.get("GOVSHARE_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"unknown GOVSHARE_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None

"""Every setting, its default and what it is for.

Load order (see ``create_app``): these defaults, then ``instance/config.py``, then ``PMHC_*``
environment variables (``PMHC_TIMEZONE=America/Chicago`` sets ``TIMEZONE``; values are parsed
as JSON where they can be, so ``PMHC_PUBLIC_DIRECTORY=false`` is the boolean False).
"""

from __future__ import annotations


class Defaults:
    # Database URL; None means a SQLite file in the instance folder. PostgreSQL for multi-user
    # deployments: postgresql+psycopg://user@host/dbname
    DATABASE_URL: str | None = None
    # Flask signing key. None means: read instance/secret_key, generating it on first run.
    SECRET_KEY: str | None = None
    # IANA time zone of the jurisdiction: hours without an offset are wall-clock times here.
    TIMEZONE = "America/Denver"
    # When true, reading the directory (/, search, match, gaps, /hsds/) needs no login.
    PUBLIC_DIRECTORY = True
    # Days after which a service's last verification is stale (verification queue).
    REVERIFY_DAYS = 180
    # Hours after which a capacity report is stale and no longer trusted by the matcher.
    CAPACITY_FRESH_HOURS = 12
    # Session cookie: only over HTTPS (browsers treat http://localhost as secure), not
    # readable by scripts, not sent on cross-site requests.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    # Logged-in sessions expire after this many seconds of inactivity (8 hours: one shift).
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    # A login ends this many seconds after it began, however active (12 hours: a long shift).
    SESSION_ABSOLUTE_LIFETIME_SECONDS = 12 * 3600
    # Failed logins allowed per client address and email within the window, then refused.
    LOGIN_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW_SECONDS = 900
    # Failed logins for one email from any address within the window (account lockout), and
    # from one client address over all emails (stops one machine trying many accounts).
    LOGIN_ACCOUNT_MAX_FAILURES = 20
    LOGIN_ADDRESS_MAX_FAILURES = 50
    # Where Flask-Limiter keeps the failed-login counts. "memory://" counts in each app server
    # process; several app servers share counts with e.g. "redis://localhost:6379".
    RATELIMIT_STORAGE_URI = "memory://"
    # Reverse proxies in front of the app that set X-Forwarded-For / X-Forwarded-Proto (0 =
    # none). With N > 0 the client address is the one the N-th proxy from the app saw; never set
    # it higher than the real number of proxies, or clients can choose their own address.
    PROXY_COUNT = 0
    # Host names this deployment answers to, e.g. ["directory.agency.example"] (Flask's
    # TRUSTED_HOSTS; a leading "." also allows subdomains). Any other Host header gets 400, so
    # absolute links (/hsds/, the OpenAPI document) never name a host a client chose. None =
    # any host: set it in production (PMHC_TRUSTED_HOSTS='["directory.agency.example"]').
    TRUSTED_HOSTS: list[str] | None = None
    # Strict-Transport-Security max-age in seconds, sent on answers to HTTPS requests (behind
    # a proxy set PROXY_COUNT so they are recognised); 0 = not sent (leave it to the proxy).
    HSTS_SECONDS = 365 * 24 * 3600
    # CSRF tokens on every form (Flask-WTF); valid for the whole session.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # Largest accepted request body in bytes (uploads included).
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Imports -------------------------------------------------------------------------------
    # Largest file the import page accepts, in MB (it overrides MAX_CONTENT_LENGTH there).
    IMPORT_MAX_UPLOAD_MB = 200
    # A zipped import whose members would expand past this many MB is refused before it is
    # read (reading takes several times the expanded size in memory).
    IMPORT_MAX_UNZIPPED_MB = 256
    # Folder for files uploaded on the import page; None = "imports" in the instance folder.
    IMPORT_UPLOAD_DIR: str | None = None
    # Log level for the app's own logger.
    LOG_LEVEL = "INFO"
    # Officer lookup ---------------------------------------------------------------------
    # Road distance = straight (geodesic) distance x this factor (>= 1).
    TRAVEL_CIRCUITY = 1.3
    # Average driving speed in km/h used to turn road distance into minutes.
    TRAVEL_SPEED_KMH = 50.0
    # With a road network loaded (geography roads): a point farther than this many km from
    # every road node is off the network and gets the estimate above instead (said so).
    ROAD_SNAP_MAX_KM = 1.0
    # Speed in km/h for the leg between a point and its nearest road node (driveways, car
    # parks, streets missing from the extract).
    ROAD_SNAP_SPEED_KMH = 15.0
    # Optional online geocoder (a geopy service name such as "nominatim"); "" = offline only.
    GEOCODER = ""
    # User agent sent to the online geocoder (its terms usually require one naming you).
    GEOCODER_USER_AGENT = "pmhc-directory"
    # Least seconds between two calls to the online geocoder.
    GEOCODER_MIN_DELAY_SECONDS = 1.0
    # Seconds an online geocoder answer is kept, in each app process's memory only (never in
    # the database or on disk: a looked-up place is often where the person in crisis is).
    GEOCODER_CACHE_SECONDS = 900
    # Provider capacity API: requests per minute per token and app server (0 = no limit).
    CAPACITY_RATE_LIMIT_PER_MINUTE = 60
    # Planning ---------------------------------------------------------------------------
    # An area is covered by a service within this many travel minutes, by continuum element
    # (None = everywhere: phone lines). Teams and services with a service area are judged by it.
    COVERAGE_MINUTES_BY_CONTINUUM = {
        "contact": None,
        "respond": 60,
        "place": 30,
        "treatment": 30,
        "housing": 30,
        "justice": 30,
    }
    # Per service type overrides of the above, e.g. {"crisis-receiving": 20}.
    COVERAGE_MINUTES_BY_TYPE: dict[str, float] = {}
    # Optional map tile URL template for the planning map (off by default: nothing leaves
    # the machine). Example: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".
    MAP_TILE_URL = ""
    # Outcomes ---------------------------------------------------------------------------
    # Agency-held key for repeat-encounter tokens (HMAC-SHA256). Never stored in the database;
    # without it the repeat-encounter measure is off. Set it in the environment only.
    OUTCOMES_KEY: str | None = None
    # Encounters older than this many days are deleted by `outcomes purge`.
    OUTCOMES_RETENTION_DAYS = 1095
    # Counts below this are shown as "<11" everywhere, exports included (small-cell rule).
    OUTCOMES_MIN_CELL = 11
    # Folder of this process's search index; None = "search-index" in the instance folder.
    SEARCH_INDEX_DIR: str | None = None

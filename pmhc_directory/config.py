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
    # Who publishes the HSDS feed: the "publisher" object of /hsds/ (HSDS 3.1), e.g.
    # {"name": "Juniper County PMHC", "email": "data@juniper.example", "website": "https://..",
    # "identifier": "...", "additional_websites": [...]}. None: the directory's name and URL.
    HSDS_PUBLISHER: dict | None = None
    # Team address published as a verified service's HSDS assurer_email (public in /hsds/), e.g.
    # "directory-team@agency.example"; None = none published. Who verified stays in the change
    # log for staff only: a coordinator's own login is never published.
    ASSURER_EMAIL: str | None = None
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
    # Run the import page's checks and imports in a background thread (False: in the request,
    # which only tests should do).
    IMPORT_IN_BACKGROUND = True
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
    # Lookups (the officer page with a query, /api/v1/match) allowed per client address for
    # visitors who are not signed in, and per account for signed-in staff; problem reports per
    # account or client address. Flask-Limiter strings, counted where RATELIMIT_STORAGE_URI
    # says; past a limit the answer is 429 with Retry-After (docs/security.md).
    LOOKUP_RATE_LIMIT_ANONYMOUS = "30 per minute"
    LOOKUP_RATE_LIMIT_STAFF = "120 per minute"
    PROBLEM_REPORT_RATE_LIMIT = "10 per hour"
    # Provider capacity API: requests per minute per token and app server (0 = no limit).
    CAPACITY_RATE_LIMIT_PER_MINUTE = 60
    # The lookup's jurisdiction policy (docs/matching.md); None = the shipped default in
    # pmhc_directory/data/lookup_policy.json. Age-defined populations, e.g.
    # {"youth": {"min": 0, "max": 17}, "older-adults": {"min": 65, "max": null}}:
    AGE_POPULATIONS: dict | None = None
    # Service types where an officer hands a person over (the police drop-off rule applies
    # only there), e.g. ["crisis-receiving", "sobering-center"]; None = every "place" type.
    HANDOVER_SERVICE_TYPES: list | None = None
    # Tiers of a need's service types, e.g. {"crisis-now": [["crisis-receiving",
    # "mobile-crisis"], ["crisis-stabilization"]]}; None = each type its own tier, in order.
    NEED_TIERS: dict | None = None
    # Weights that order places within a tier (normalised), keys open, travel, capacity,
    # diversion, verified; None = 0.20, 0.20, 0.15, 0.10, 0.05.
    RANKING_WEIGHTS: dict | None = None
    # Unmet need: one record per lookup intent within this many hours (reloads, the back
    # button and replays of the same search by the same user are not counted again).
    UNMET_NEED_INTENT_HOURS = 4
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
    # After a worker fills its lookup cache, leave what it holds out of the garbage collector's
    # full collections (gc.freeze): at 50,000 services one took about 0.35 s in the middle of a
    # request, and takes about 20 ms then. Off in the test suite, which fills and drops caches.
    FREEZE_FILLED_CACHES = True

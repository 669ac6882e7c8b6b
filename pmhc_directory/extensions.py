"""Flask extension objects, created unbound and initialised by the factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Rate limits (failed logins, see services/login_throttle.py). Counts are kept where the
# RATELIMIT_STORAGE_URI setting says; the moving window refuses until the oldest counted
# failure is older than the window, like a person would expect "15 minutes" to mean.
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")

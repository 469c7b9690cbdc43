"""Failed staff logins per client address, counted by the shared rate limiter (in Redis
when the scale-out configuration has one, so every API process counts together; in
memory otherwise). Accounts also lock after five wrong passwords (accounts/service.py):
this stops one address from guessing across many accounts."""

from api.ratelimit import get_limiter
from core.settings import get_settings

SCOPE = "staff-login-failures"


def seconds_blocked(client: str) -> int:
    """0 when ``client`` may try to log in now, else how many seconds it must wait."""
    return get_limiter().seconds_blocked(get_settings().staff_login_failures, SCOPE, client)


def count_failure(client: str) -> None:
    get_limiter().count(get_settings().staff_login_failures, SCOPE, client)

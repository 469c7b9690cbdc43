"""Failed staff logins per client address, counted with the ``limits`` library (in Redis
when the scale-out configuration has one, so every API process counts together; in
memory otherwise). Accounts also lock after five wrong passwords (accounts/service.py):
this stops one address from guessing across many accounts."""

import time
from functools import lru_cache

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.settings import get_settings

SCOPE = "staff-login-failures"


@lru_cache(maxsize=1)
def _limiter() -> MovingWindowRateLimiter:
    settings = get_settings()
    uri = settings.redis_url if settings.job_backend == "dramatiq" else "memory://"
    return MovingWindowRateLimiter(storage_from_string(uri))


def seconds_blocked(client: str) -> int:
    """0 when ``client`` may try to log in now, else how many seconds it must wait."""
    rate = parse(get_settings().staff_login_failures)
    if _limiter().test(rate, SCOPE, client):
        return 0
    reset_at, _remaining = _limiter().get_window_stats(rate, SCOPE, client)
    return max(1, int(reset_at - time.time()) + 1)


def count_failure(client: str) -> None:
    _limiter().hit(parse(get_settings().staff_login_failures), SCOPE, client)

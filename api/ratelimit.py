"""Rate limits on what a client may do, counted in Redis when it is configured and in
memory (this process only) otherwise, with the ``limits`` library's moving window.

A limit is a string such as ``"10/minute;100/day"``; ``enforce`` counts one attempt
against every part and refuses with 429, a ``Retry-After`` header and a zh-CN message
when one part is used up. If Redis does not answer, requests are let through (logged):
a counter outage must not stop shoppers earning points.
"""

import logging
import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import AppError
from core.settings import get_settings

log = logging.getLogger(__name__)


class RateLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_RATE_LIMIT_", env_file=".env",
                                      extra="ignore")

    # Where counts live: "memory://" or a "redis://host:port/db" URL. Empty: the Redis of
    # the scale-out configuration (RP_REDIS_URL) when RP_JOB_BACKEND=dramatiq (several
    # processes must share counts), else memory.
    storage_url: str | None = None


class TooManyRequests(AppError):
    status = 429

    def __init__(self, code: str, message: str, *, retry_after: int):
        super().__init__(code, message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class Limiter:
    def __init__(self, storage_url: str):
        self._strategy = MovingWindowRateLimiter(
            storage_from_string(storage_url, wrap_exceptions=True))

    def wait_seconds(self, limit: str, *key: str) -> int:
        """Count one attempt under ``key`` against each part of ``limit`` (each count is
        atomic in the storage): 0 if every part allowed it, else the seconds to wait."""
        return self._refusal(self._strategy.hit, limit, key)

    def seconds_blocked(self, limit: str, *key: str) -> int:
        """Without counting: 0 if one more attempt under ``key`` would be allowed, else the
        seconds to wait."""
        return self._refusal(self._strategy.test, limit, key)

    def _refusal(self, allows, limit: str, key: tuple[str, ...]) -> int:
        try:
            refused = [item for item in parse_many(limit) if not allows(item, *key)]
            if refused:
                return max(self._seconds_left(item, key) for item in refused)
        except StorageError as exc:
            log.warning("rate-limit storage unavailable, not limiting: %s", exc)
        return 0

    def count(self, limit: str, *key: str) -> None:
        """Count one attempt under ``key`` against each part of ``limit``, whatever is left."""
        try:
            for item in parse_many(limit):
                self._strategy.hit(item, *key)
        except StorageError as exc:
            log.warning("rate-limit storage unavailable, not counting: %s", exc)

    def enforce(self, limit: str, *key: str, code: str, message: str) -> None:
        """``message`` may hold ``{seconds}``."""
        if wait := self.wait_seconds(limit, *key):
            raise TooManyRequests(code, message.format(seconds=wait), retry_after=wait)

    def _seconds_left(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        reset_at = self._strategy.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def storage_url() -> str:
    configured = RateLimitSettings().storage_url
    if configured:
        return configured
    core = get_settings()
    return core.redis_url if core.job_backend == "dramatiq" else "memory://"


@lru_cache(maxsize=1)
def get_limiter() -> Limiter:
    return Limiter(storage_url())

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dedupe.fingerprint import BANDS


class DedupeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_DEDUPE_", env_file=".env", extra="ignore")

    # Same merchant + amount within this many minutes and no differing receipt no. → review.
    near_minutes: int = 5
    # A payment and a receipt of one member, store and amount printed at most this many
    # minutes apart are one purchase (claims.py). A till's clock and WeChat Pay's time_end
    # differ by a minute or two; the claim buckets may reach up to twice this.
    window_minutes: int = Field(default=10, ge=1, le=120)
    # The band index guarantees to find every hash within BANDS - 1 bits.
    phash_max_distance: int = Field(default=BANDS - 1, ge=0, le=BANDS - 1)


@lru_cache
def get_dedupe_settings() -> DedupeSettings:
    return DedupeSettings()

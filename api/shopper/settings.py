"""Settings of the shopper API and the phone page."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ShopperSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_SHOPPER_", env_file=".env", extra="ignore")

    # Uploads a member, and a client address, may make (the `limits` notation; parts
    # separated by ";"). A mall's Wi-Fi puts many shoppers behind one address: keep the
    # per-address limit well above the per-member one.
    upload_limit_per_member: str = "10/minute;100/day"
    upload_limit_per_ip: str = "60/minute"
    # Live status (GET /api/v1/receipts/{id}/events): how often the stream looks at the
    # receipt, how long it stays open at most, how long a stream ticket may be used.
    events_poll_seconds: float = 1.0
    events_max_seconds: int = 300
    stream_ticket_seconds: int = 60
    # The phone page shrinks photos to this long side before uploading.
    photo_long_side: int = 2000


@lru_cache
def get_shopper_settings() -> ShopperSettings:
    return ShopperSettings()

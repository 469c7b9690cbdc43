"""Application-wide settings, read from the environment (prefix RP_) or a .env file."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/receipt-points.db"
    data_dir: Path = Path("var")
    secret_key: str = "dev-only-change-me"
    # "inprocess" runs jobs on a thread pool in the API process; "dramatiq" sends them
    # to a Redis-backed Dramatiq queue served by `python app.py worker`.
    job_backend: str = "inprocess"
    redis_url: str = "redis://127.0.0.1:6379/0"
    worker_threads: int = 2
    timezone: str = "Asia/Shanghai"
    # Send the staff session cookie over HTTPS only: set true behind TLS.
    secure_cookies: bool = False
    # Request bodies above this are refused (413) before they are read: one photo
    # (RP_OCR_MAX_UPLOAD_BYTES) plus the form around it; ops' batch sample uploads get more.
    max_request_bytes: int = 16 * 1024 * 1024
    max_batch_request_bytes: int = 200 * 1024 * 1024
    # Browser origins allowed to call the API (CORS), e.g. ["https://m.mall.example"];
    # none by default.
    cors_origins: list[str] = []
    # Failed staff logins one client address may make (limits notation, moving window).
    staff_login_failures: str = "10/minute"

    @property
    def image_dir(self) -> Path:
        return self.data_dir / "images"


@lru_cache
def get_settings() -> CoreSettings:
    return CoreSettings()

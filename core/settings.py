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

    @property
    def image_dir(self) -> Path:
        return self.data_dir / "images"


@lru_cache
def get_settings() -> CoreSettings:
    return CoreSettings()

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class PointsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_POINTS_", env_file=".env", extra="ignore")

    # The mall's base rule set (version 0), used until a version is published in the
    # database; default: points/default_rules.yaml.
    rules_file: Path | None = None


@lru_cache
def get_points_settings() -> PointsSettings:
    return PointsSettings()

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ReceiptSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_RECEIPT_", env_file=".env", extra="ignore")

    # A field is trusted for auto-approval at or above its threshold. Confidences are
    # calibrated probabilities (merchants/parsing/calibration.json); at 0.97, cross-validated
    # on 572 SROIE + 100 generated receipts, 50% were auto-approved with 97.3% all right,
    # and 77.5% of 40 other generated receipts with none wrong.
    min_confidence_merchant: float = 0.97
    min_confidence_date: float = 0.97
    min_confidence_total: float = 0.97
    max_attempts: int = 3
    # Photos and OCR text of decided receipts are purged after this many days.
    retention_days: int = 365


@lru_cache
def get_receipt_settings() -> ReceiptSettings:
    return ReceiptSettings()

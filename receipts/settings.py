from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ReceiptSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_RECEIPT_", env_file=".env", extra="ignore")

    # A field is trusted for auto-approval at or above its threshold. Confidences are
    # calibrated probabilities (merchants/parsing/calibration.json, fitted on SROIE train's
    # first 458 receipts and generated seeds 2024 and 202 with traps). At 0.97: on the 115
    # SROIE receipts held out of the fit, 80.9% auto-approved at 98.9% all right (the one
    # wrong: an operating company labelled for the brand); on all 572 (reviewed labels)
    # 81.8% at 99.6%; on an unseen generated seed with traps (5150, 214 photos) 87.4% with
    # none wrong; of 40 counter tickets the generic rules misread, none.
    min_confidence_merchant: float = 0.97
    min_confidence_date: float = 0.97
    min_confidence_total: float = 0.97
    # Stores whose auto-approval ops have not switched on or off follow this. A mall in its
    # learning phase sets it false: every receipt is checked until a store's samples show
    # its reading can be trusted (see the ops tuning pages).
    auto_approve_by_default: bool = True
    # Ops may switch a store's auto-approval on only with this many labelled samples.
    min_samples_for_auto_approve: int = 20
    max_attempts: int = 3
    # A review item opened by one staff member is held for them this long.
    review_claim_minutes: int = 10
    # Photos and OCR text of decided receipts are purged after this many days.
    retention_days: int = 365


@lru_cache
def get_receipt_settings() -> ReceiptSettings:
    return ReceiptSettings()

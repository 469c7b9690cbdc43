from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class ReceiptSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_RECEIPT_", env_file=".env", extra="ignore")

    # A field is trusted for auto-approval at or above its threshold. Confidences are
    # calibrated probabilities (merchants/parsing/calibration.json); at 0.97, cross-validated
    # on 572 SROIE receipts (reviewed labels) + 340 generated ones, 76.9% of SROIE were
    # auto-approved with 99.3% all right and 84.3% of the generated with none wrong; of 190
    # other generated receipts 81.6% with none wrong; of 40 counter tickets the generic
    # rules misread, none.
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


class StorageSettings(BaseSettings):
    """Where photos live: ``local`` (RP_DATA_DIR/images) or an S3-compatible bucket."""

    model_config = SettingsConfigDict(env_prefix="RP_STORAGE_", env_file=".env", extra="ignore")

    backend: Literal["local", "s3"] = "local"
    s3_bucket: str = "receipt-points"
    # None: AWS itself; set it for MinIO, Ceph or a cloud's S3-compatible endpoint.
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # None: boto3's own chain (environment, instance role).
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = "images/"


@lru_cache
def get_storage_settings() -> StorageSettings:
    return StorageSettings()

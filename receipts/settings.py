from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field
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
    # Fraud signals (receipts/fraud.py): a member's receipts of one purchase day beyond
    # these go to a person, in all stores and in one store.
    max_receipts_per_member_day: int = Field(5, ge=1)
    max_receipts_per_member_store_day: int = Field(3, ge=1)
    # A receipt pending (received, or processing) that nothing has moved for this long is
    # re-queued by the workers' sweep: its worker was killed, or its job never reached the
    # broker. While a receipt is processing, no second job starts it within this time.
    stuck_after_seconds: int = Field(300, ge=1)
    # Tests only (the kill -9 acceptance test): the worker pauses this long after reading a
    # receipt and before deciding it, so that it can be killed there. Never set it in
    # production.
    test_pause_after_reading_seconds: float = Field(0.0, ge=0.0)
    # A review item opened by one staff member is held for them this long.
    review_claim_minutes: int = 10
    # Photos and OCR text of decided receipts are purged after this many days.
    retention_days: int = 365


@lru_cache
def get_receipt_settings() -> ReceiptSettings:
    return ReceiptSettings()


class WorkerSettings(BaseSettings):
    """What a ``python app.py worker`` process runs besides its jobs."""

    model_config = SettingsConfigDict(env_prefix="RP_WORKER_", env_file=".env", extra="ignore")

    # How often each worker sweeps for stuck receipts (and checks the nightly job is due).
    sweep_interval_seconds: float = Field(60.0, gt=0)
    # Local time after which the nightly points job (expiry, tier review) runs, once a day
    # across all workers; empty: leave it to cron.
    nightly_at: time | None = time(0, 10)
    # Port of this worker's own Prometheus metrics (OCR seconds, decisions); 0: none. Two
    # workers on one host need two ports (``python app.py worker --metrics-port``).
    metrics_port: int = Field(0, ge=0, le=65535)
    # 0.0.0.0 when Prometheus scrapes from another machine (metrics hold no personal data).
    metrics_host: str = "127.0.0.1"


@lru_cache
def get_worker_settings() -> WorkerSettings:
    return WorkerSettings()


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

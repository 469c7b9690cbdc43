"""Helpers that point the code under test at a database and clean it afterwards."""

import os
import sys

from sqlalchemy import create_engine

PG_ADMIN_URL = os.environ.get(
    "RP_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

CACHED_GETTERS = (
    ("core.settings", "get_settings"),
    ("dedupe.settings", "get_dedupe_settings"),
    ("receipts.settings", "get_receipt_settings"),
    ("ocr.settings", "get_ocr_settings"),
    ("points.settings", "get_points_settings"),
    ("points.rules", "default_rules"),
    ("receipts.settings", "get_storage_settings"),
    ("receipts.settings", "get_worker_settings"),
    ("receipts.storage", "get_store"),
    ("receipts.jobs", "get_queue"),
    ("accounts.settings", "get_wechat_settings"),
    ("accounts.settings", "get_member_session_settings"),
    ("accounts.wechat.client", "get_wechat"),
    ("api.ratelimit", "get_limiter"),
    ("api.shopper.settings", "get_shopper_settings"),
    ("channels.wechatpay.settings", "get_wechatpay_settings"),
    ("channels.wechatpay.keys", "get_keyring"),
)


def reset_caches() -> None:
    """Forget settings, engines and queues so the next test reads its own environment."""
    from core.db import dispose_engines

    dispose_engines()
    for module, getter in CACHED_GETTERS:
        if module in sys.modules:
            getattr(sys.modules[module], getter).cache_clear()


def empty_all_tables(url: str) -> None:
    from core.models import Base

    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()

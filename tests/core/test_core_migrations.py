"""Migrations carry a running mall's data forward, on both databases."""

import pytest
from alembic import command
from database import PG_ADMIN_URL
from sqlalchemy import create_engine, text

from core.migrate import alembic_config

BEFORE_POINTS_LEDGER = "732516a2a429"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    import uuid

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"rp_mig_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__})")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from core.db import dispose_engines

    dispose_engines()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_core_points_ledger_migration_keeps_balances_and_reverts(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, BEFORE_POINTS_LEDGER)
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO member (id, code, tier, created_at) "
            "VALUES (1, 'M1', 'standard', CURRENT_TIMESTAMP)"))
        for key, points in (("k1", 42), ("k2", -12)):
            connection.execute(text(
                "INSERT INTO ledger_entry (member_id, kind, points, idempotency_key, actor, "
                "created_at) VALUES (1, 'adjust', :p, :k, 'old', CURRENT_TIMESTAMP)"),
                {"p": points, "k": key})
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT points_balance FROM member")).scalar() == 30
        missing = connection.execute(text(
            "SELECT count(*) FROM ledger_entry WHERE booked_on IS NULL OR business_date IS NULL"
        )).scalar()
        assert missing == 0
    command.downgrade(config, BEFORE_POINTS_LEDGER)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM ledger_entry")).scalar() == 2
    engine.dispose()


BEFORE_CANONICAL_NUMBERS = "794d1a3714e0"


def _plain(number: str) -> str:
    return "".join(ch for ch in number if ch.isalnum())


def test_core_receipt_numbers_become_canonical_and_revert(empty_url):
    """Claims of credited receipts move to the canonical number (XS2026… is X52026…), so a
    reshoot read with the other letter is refused; of two old credits whose numbers fall
    together the older takes the canonical key and the other keeps its own."""
    config = alembic_config(empty_url)
    command.upgrade(config, BEFORE_CANONICAL_NUMBERS)
    engine = create_engine(empty_url)
    old = {"r1": "XS2026-1018", "r2": "X52026-1019", "r3": "XS20261019"}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO member (id, code, tier, points_balance, created_at) "
            "VALUES (1, 'M1', 'standard', 0, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO merchant (id, name, aliases, payment_merchant_ids, points_rate, "
            "active, created_at, updated_at) VALUES ('m1', 'S', '[]', '[]', 1, true, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for minute, (rid, number) in enumerate(old.items()):
            values = {"r": rid, "n": number, "p": _plain(number),
                      "at": f"2026-12-01 10:0{minute}:00"}
            connection.execute(text(
                "INSERT INTO receipt (id, member_id, channel, status, merchant_id, receipt_no, "
                "confidence, reasons, ocr_rows, points, attempts, created_at, updated_at) "
                "VALUES (:r, 1, 'photo', 'approved', 'm1', :n, '{}', '[]', '[]', 0, 1, "
                ":at, :at)"), values)
            connection.execute(text(
                "INSERT INTO fingerprint_record (receipt_id, sha256, merchant_id, receipt_no, "
                "live, created_at) VALUES (:r, :r, 'm1', :p, true, :at)"), values)
            connection.execute(text(
                "INSERT INTO credit_claim (key, receipt_id, created_at) "
                "VALUES ('no:m1:' || :p, :r, :at)"), values)

    def table(sql: str) -> dict:
        with engine.connect() as connection:
            return dict(connection.execute(text(sql)).all())

    def claims() -> dict:
        return table("SELECT receipt_id, key FROM credit_claim")

    def indexed() -> dict:
        return table("SELECT receipt_id, receipt_no FROM fingerprint_record")

    command.upgrade(config, "head")
    assert claims() == {"r1": "no:m1:X520261018", "r2": "no:m1:X520261019",
                        "r3": "no:m1:XS20261019"}
    assert indexed() == {"r1": "X520261018", "r2": "X520261019", "r3": "X520261019"}
    command.downgrade(config, BEFORE_CANONICAL_NUMBERS)
    assert claims() == {rid: f"no:m1:{_plain(n)}" for rid, n in old.items()}
    assert indexed() == {rid: _plain(n) for rid, n in old.items()}
    engine.dispose()


BEFORE_CLAIMS_BY_PAYMENT = "7a3e5c9f1b20"


def test_core_claims_of_payments_are_marked_as_theirs(empty_url):
    """A payment credited before window keys existed keeps its tx: claim, marked as a
    payment's, so a later photo of it meets it as one; photos' claims are not."""
    config = alembic_config(empty_url)
    command.upgrade(config, BEFORE_CLAIMS_BY_PAYMENT)
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO member (id, code, tier, points_balance, created_at) "
            "VALUES (1, 'M1', 'standard', 0, CURRENT_TIMESTAMP)"))
        for rid, channel, key in (("p1", "payment", "tx:4200"), ("f1", "photo", "sha:ab")):
            connection.execute(text(
                "INSERT INTO receipt (id, member_id, channel, status, confidence, reasons, "
                "ocr_rows, points, attempts, created_at, updated_at) VALUES (:r, 1, :c, "
                "'approved', '{}', '[]', '[]', 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"r": rid, "c": channel})
            connection.execute(text(
                "INSERT INTO credit_claim (key, receipt_id, created_at) "
                "VALUES (:k, :r, CURRENT_TIMESTAMP)"), {"k": key, "r": rid})
    command.upgrade(config, "head")
    with engine.connect() as connection:
        marked = dict(connection.execute(text(
            "SELECT receipt_id, by_payment FROM credit_claim")).all())
    assert marked == {"p1": True, "f1": False}
    command.downgrade(config, BEFORE_CLAIMS_BY_PAYMENT)
    engine.dispose()

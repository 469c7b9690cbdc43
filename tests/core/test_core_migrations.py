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

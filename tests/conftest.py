"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL) and a clean
data directory per test.

Every test that takes ``db_url`` runs twice: on SQLite (the embedded default) and on
the PostgreSQL of this machine. The PostgreSQL run skips, saying why, when the server
does not answer.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from database import PG_ADMIN_URL, empty_all_tables, reset_caches  # noqa: E402

REDIS_URL = os.environ.get("RP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    from core.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url():
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); "
                    "start it or set RP_TEST_PG_ADMIN_URL")
    name = f"rp_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from core.migrate import upgrade

    upgrade(url)
    yield url
    from core.db import dispose_engines

    dispose_engines()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def plain_rules(tmp_path_factory, monkeypatch):
    """The bundled rules without member day and caps, and with a validity window long
    enough for the fixed purchase dates of test data (fakes.TODAY, generated receipts)
    whatever day the suite runs on: points are then amount × store rate. Tests of the
    rules themselves build their own rule sets."""
    import yaml

    from points.rules import DEFAULT_RULES

    path = tmp_path_factory.getbasetemp() / "rules-for-tests.yaml"
    if not path.exists():
        rules = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
        plain = {**rules, "validity_days": 36500, "member_days": [], "caps": {}}
        path.write_text(yaml.safe_dump(plain, allow_unicode=True))
    monkeypatch.setenv("RP_POINTS_RULES_FILE", str(path))
    reset_caches()
    yield path
    reset_caches()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, monkeypatch, tmp_path):
    url = request.getfixturevalue(f"{request.param}_url")
    monkeypatch.setenv("RP_DATABASE_URL", url)
    monkeypatch.setenv("RP_DATA_DIR", str(tmp_path / "data"))
    reset_caches()
    yield url
    empty_all_tables(url)
    reset_caches()


@pytest.fixture
def demo_mall(db_url):
    """The demo mall's 20 stores in the registry."""
    from core.db import session_scope
    from merchants import service as merchant_service

    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
    return merchant_service.DEMO_MALL


@pytest.fixture
def member(db_url):
    from core.db import session_scope
    from points import service as points_service

    with session_scope() as db_session:
        created = points_service.get_or_create_by_code(
            db_session=db_session, code="M100", phone="13912345678"
        )
        return created.id


@pytest.fixture
def reads(monkeypatch, demo_mall):
    """``reads(reading_or_exception)``: what the next receipts processed will "read"."""
    from fakes import FixedReader

    from receipts import flow

    def use(reading):
        monkeypatch.setattr(flow, "reader_for", lambda *snapshot: FixedReader(reading))

    return use


@pytest.fixture
def redis_url():
    """A real Redis (database 15, emptied before and after); skips when none answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); "
                    "start it or set RP_TEST_REDIS_URL")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def fake_wechat(monkeypatch):
    """The fake WeChat served over real HTTP on a free port, and the app's WeChat settings
    pointing at it (RP_WECHAT_FAKE on: the app offers the development sign-in). Yields
    the fake's state: ``fake_wechat.issue_code(openid)`` plays wx.login."""
    from accounts.wechat.fake import create_fake_app
    from accounts.wechat.fake.server import serve_in_thread
    from accounts.wechat.fake.state import FakeWeChatState

    state = FakeWeChatState(appid="wx-test-app", secret="test-secret")
    running = serve_in_thread(create_fake_app(state))
    for key, value in (("BASE_URL", running.url), ("APPID", state.appid),
                       ("SECRET", state.secret), ("FAKE", "true")):
        monkeypatch.setenv(f"RP_WECHAT_{key}", value)
    reset_caches()
    yield state
    running.stop()
    reset_caches()

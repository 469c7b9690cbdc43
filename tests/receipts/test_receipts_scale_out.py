"""Acceptance of the scale-out configuration on this machine's PostgreSQL and Redis, with
the API under uvicorn and Dramatiq worker processes, real OCR:

- 20 concurrent uploads of one receipt by 5 members: exactly one credit;
- a worker killed (SIGKILL) mid-receipt 10 times in a row: every receipt decided once,
  none lost, the abandoned ones re-queued by the workers' sweep.

The kill test makes the worker pause after reading a receipt and before deciding it
(RP_RECEIPT_TEST_PAUSE_AFTER_READING_SECONDS, a setting for tests only) so that the kills
land mid-job; everything else is the production code path.
"""

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bench import services
from training_data.synth import generate_receipt, load_registry

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
pytestmark = [
    pytest.mark.ocr, pytest.mark.services,
    pytest.mark.skipif(not FONT.exists(), reason="fonts-noto-cjk missing: `make test` installs it"),
]
DECIDED = ("approved", "needs_review", "duplicate", "rejected")


@pytest.fixture
def scale_out(postgresql_url, redis_url, tmp_path, monkeypatch):
    """The test process on the same PostgreSQL, Redis and image directory as the
    processes it starts; the demo mall in the registry."""
    from database import empty_all_tables, reset_caches

    env = services.scale_out_env(postgresql_url, redis_url, tmp_path / "data")
    for key in ("RP_DATABASE_URL", "RP_REDIS_URL", "RP_JOB_BACKEND", "RP_DATA_DIR"):
        monkeypatch.setenv(key, env[key])
    reset_caches()
    from core.db import session_scope
    from merchants import service as merchant_service

    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
    yield env
    reset_caches()
    empty_all_tables(postgresql_url)


def _photo(merchant_id: str, seed: int) -> bytes:
    import io

    merchant = next(m for m in load_registry() if m["id"] == merchant_id)
    image, _truth = generate_receipt(merchant, random.Random(seed), strength=0.3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _members(count: int) -> list[int]:
    from core.db import session_scope
    from points import service as points_service

    with session_scope() as db_session:
        return [points_service.get_or_create_by_code(db_session=db_session, code=f"S{i}").id
                for i in range(count)]


def _statuses() -> dict[str, str]:
    from core.db import session_scope
    from receipts.models import Receipt

    with session_scope() as db_session:
        return dict(db_session.execute(select(Receipt.id, Receipt.status)).all())


def _wait_all_decided(expected: int, timeout: float, workers=()) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = _statuses()
        if len(statuses) == expected and all(s in DECIDED for s in statuses.values()):
            return statuses
        for worker in workers:
            assert worker.poll() is None, "a worker exited"
        time.sleep(0.3)
    raise AssertionError(f"not all decided in {timeout} s: {_statuses()}")


def _earn_entries() -> list[tuple[str, int]]:
    from core.db import session_scope
    from points.models import LedgerEntry

    with session_scope() as db_session:
        return list(db_session.execute(
            select(LedgerEntry.receipt_id, func.count()).where(LedgerEntry.kind == "earn")
            .group_by(LedgerEntry.receipt_id)).all())


def test_twenty_concurrent_uploads_of_one_receipt_by_five_members_credit_once(
        scale_out, tmp_path):
    from api.auth import issue_member_token

    photo = _photo("m002", seed=31)
    tokens = [issue_member_token(member) for member in _members(5)]
    log = tmp_path / "services.log"
    api, base = services.start_api(scale_out, log)
    workers = [services.start_worker(scale_out, log) for _ in range(2)]
    try:
        def upload(i: int) -> int:
            response = httpx.post(f"{base}/api/v1/receipts", timeout=60,
                                  headers={"Authorization": f"Bearer {tokens[i % 5]}"},
                                  files={"image": ("r.jpg", photo, "image/jpeg")})
            return response.status_code

        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(upload, range(20)))
        assert codes == [202] * 20
        statuses = _wait_all_decided(20, timeout=180, workers=workers)
    finally:
        for process in (*workers, api):
            services.stop(process)
    credited = _earn_entries()
    assert len(credited) == 1 and credited[0][1] == 1
    assert sorted(statuses.values()).count("approved") == 1
    assert statuses[credited[0][0]] == "approved"
    assert set(statuses.values()) == {"approved", "duplicate"}


def test_worker_killed_mid_receipt_ten_times_loses_nothing_and_credits_once(
        scale_out, tmp_path):
    from core.db import session_scope
    from receipts import flow
    from receipts.jobs import get_queue
    from receipts.models import ReceiptEvent

    env = {**scale_out, "RP_RECEIPT_TEST_PAUSE_AFTER_READING_SECONDS": "1.5",
           "RP_RECEIPT_STUCK_AFTER_SECONDS": "8", "RP_WORKER_SWEEP_INTERVAL_SECONDS": "0.5",
           # every receipt is read to its own decision, however often its worker died
           "RP_RECEIPT_MAX_ATTEMPTS": "50"}
    member = _members(1)[0]
    stores = ["m001", "m002", "m004", "m005", "m007", "m010"]
    with session_scope() as db_session:
        ids = [flow.submit_photo(db_session=db_session, member_id=member,
                                 data=_photo(store, seed=40 + n), actor="test").id
               for n, store in enumerate(stores)]
    for receipt_id in ids:
        get_queue().enqueue(receipt_id)
    log, rng, kills = tmp_path / "worker.log", random.Random(18), 0
    while kills < 10:
        worker = services.start_worker(env, log)
        try:
            deadline = time.monotonic() + 90
            while "processing" not in _statuses().values():
                assert time.monotonic() < deadline, "no receipt started"
                assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
                time.sleep(0.05)
            time.sleep(rng.uniform(0.2, 2.5))  # while reading, or read and not yet decided
        finally:
            services.kill(worker)
        kills += 1
    worker = services.start_worker(env, log)
    try:
        statuses = _wait_all_decided(len(ids), timeout=240, workers=[worker])
    finally:
        services.stop(worker)
    with session_scope() as db_session:
        events = db_session.execute(select(ReceiptEvent.receipt_id, ReceiptEvent.to_status,
                                           ReceiptEvent.actor)).all()
    decisions = [(rid, to) for rid, to, _actor in events if to in DECIDED]
    assert sorted(rid for rid, _ in decisions) == sorted(ids)  # each decided exactly once
    assert any(actor == "sweep" for _rid, _to, actor in events)  # the worker's sweep did it
    credited = dict(_earn_entries())
    approved = {rid for rid, status in statuses.items() if status == "approved"}
    assert set(credited) == approved and set(credited.values()) <= {1}
    assert len(approved) >= len(ids) - 1, statuses  # generated receipts read well


def test_a_worker_sweeps_up_a_receipt_abandoned_in_processing(scale_out, tmp_path):
    """Nothing is in the queue: the receipt's worker died after taking it, five minutes
    ago. A worker's sweep finds it, sends it again and it is decided."""
    from sqlalchemy import update

    from core.db import session_scope, utcnow
    from receipts import flow
    from receipts.models import Receipt, ReceiptEvent

    member = _members(1)[0]
    with session_scope() as db_session:
        receipt_id = flow.submit_photo(db_session=db_session, member_id=member,
                                       data=_photo("m004", seed=51), actor="test").id
    assert flow.start_processing(receipt_id) is not None
    with session_scope() as db_session:
        db_session.execute(update(Receipt).where(Receipt.id == receipt_id).values(
            updated_at=utcnow() - timedelta(minutes=5)))
    worker = services.start_worker(scale_out, tmp_path / "worker.log")
    try:
        statuses = _wait_all_decided(1, timeout=120, workers=[worker])
    finally:
        services.stop(worker)
    with session_scope() as db_session:
        reasons = list(db_session.scalars(select(ReceiptEvent.reason).where(
            ReceiptEvent.receipt_id == receipt_id).order_by(ReceiptEvent.id)))
    assert reasons[:3] == ["uploaded", "attempt 1", "stuck in processing: re-queued"]
    assert statuses[receipt_id] in DECIDED and reasons[3] == "attempt 2"

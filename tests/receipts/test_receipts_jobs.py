"""At-least-once jobs: the sweep re-queues what a dead worker left, a second job for a
receipt being worked is a no-op, a receipt that kills every worker goes to review, and the
nightly job runs once a day across workers."""

from datetime import date, datetime, time, timedelta

import pytest
from fakes import photo_bytes, reading
from sqlalchemy import func, select, update

from core.clock import local_zone
from core.db import session_scope, utcnow
from points.models import LedgerEntry, Member, TierChange
from receipts import flow, jobs
from receipts.models import Receipt, ReceiptEvent, Status
from receipts.schedule import WorkerScheduler
from receipts.settings import WorkerSettings


class RecordingQueue:
    def __init__(self):
        self.sent: list[str] = []

    def enqueue(self, receipt_id: str) -> None:
        self.sent.append(receipt_id)

    def depth(self) -> int:
        return len(self.sent)


def _upload(member: int, seed: int) -> str:
    with session_scope() as db_session:
        return flow.submit_photo(db_session=db_session, member_id=member,
                                 data=photo_bytes(seed), actor="test").id


def _idle_for(receipt_id: str, seconds: int) -> None:
    with session_scope() as db_session:
        db_session.execute(update(Receipt).where(Receipt.id == receipt_id)
                           .values(updated_at=utcnow() - timedelta(seconds=seconds)))


def _status(receipt_id: str) -> str:
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id).status


def test_sweep_requeues_a_receipt_abandoned_in_processing(member, reads):
    reads(reading())
    abandoned, working, waiting = (_upload(member, seed) for seed in (1, 2, 3))
    assert flow.start_processing(abandoned) and flow.start_processing(working)
    _idle_for(abandoned, 301)  # its worker was killed five minutes ago
    queue = RecordingQueue()
    assert jobs.sweep_stuck(queue) == 1
    assert queue.sent == [abandoned]
    assert _status(abandoned) == Status.RECEIVED and _status(working) == Status.PROCESSING
    assert jobs.sweep_stuck(queue) == 0  # re-queued once, not at every sweep
    _idle_for(waiting, 301)  # uploaded, but its job never reached the broker
    assert jobs.sweep_stuck(queue) == 1 and queue.sent[-1] == waiting
    flow.process(abandoned)
    assert _status(abandoned) == Status.APPROVED


def test_a_second_job_for_a_receipt_being_worked_does_nothing(member, reads):
    reads(reading())
    receipt_id = _upload(member, 1)
    assert flow.start_processing(receipt_id) is not None
    assert flow.start_processing(receipt_id) is None  # another worker holds it
    _idle_for(receipt_id, 301)
    assert flow.start_processing(receipt_id) is not None  # its worker is gone: taken over


def test_a_receipt_that_kills_every_worker_goes_to_review(member, reads):
    reads(reading())
    receipt_id = _upload(member, 1)
    for _ in range(3):  # each attempt dies without a trace (kill -9, out of memory)
        assert flow.start_processing(receipt_id) is not None
        _idle_for(receipt_id, 301)
    assert flow.start_processing(receipt_id) is None
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        assert (receipt.status, receipt.reasons) == (Status.NEEDS_REVIEW, ["processing_failed"])
        ledger = db_session.scalar(select(func.count()).select_from(LedgerEntry))
    assert ledger == 0


def _gold_member_due_for_review(member: int, due: date) -> None:
    with session_scope() as db_session:
        db_session.execute(update(Member).where(Member.id == member)
                           .values(tier="gold", tier_expires_on=due))


def test_nightly_job_runs_once_a_day_across_workers(member, redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    day = date(2026, 12, 7)
    _gold_member_due_for_review(member, day - timedelta(days=1))
    settings = WorkerSettings(nightly_at=time(0, 10))
    workers = [WorkerScheduler(RecordingQueue(), client, settings) for _ in range(2)]
    before = datetime.combine(day, time(0, 5), local_zone())
    after = datetime.combine(day, time(0, 11), local_zone())
    assert [w.run_nightly_if_due(before) for w in workers] == [None, None]
    ran = [w.run_nightly_if_due(after) for w in workers]
    assert sum(summary is not None for summary in ran) == 1
    assert "downgraded 1" in next(s for s in ran if s)
    with session_scope() as db_session:
        changes = db_session.scalar(select(func.count()).select_from(TierChange))
        assert db_session.get(Member, member).tier != "gold"
    assert changes == 1


def test_nightly_job_twice_at_once_reviews_each_member_once(member, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("concurrent runs are tested on PostgreSQL; SQLite serialises writers")
    from concurrent.futures import ThreadPoolExecutor

    from points.cli import nightly

    day = date(2026, 12, 7)
    _gold_member_due_for_review(member, day - timedelta(days=1))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(nightly, [day, day]))
    with session_scope() as db_session:
        assert db_session.scalar(select(func.count()).select_from(TierChange)) == 1


def test_every_transition_of_a_swept_receipt_is_recorded(member, reads):
    reads(reading())
    receipt_id = _upload(member, 1)
    flow.start_processing(receipt_id)
    _idle_for(receipt_id, 301)
    jobs.sweep_stuck(RecordingQueue())
    with session_scope() as db_session:
        reasons = list(db_session.scalars(select(ReceiptEvent.reason).where(
            ReceiptEvent.receipt_id == receipt_id).order_by(ReceiptEvent.id)))
    assert reasons == ["uploaded", "attempt 1", "stuck in processing: re-queued"]


def test_a_broker_that_does_not_answer_loses_no_upload(member, reads, redis_url, monkeypatch):
    import redis
    from database import reset_caches

    monkeypatch.setenv("RP_JOB_BACKEND", "dramatiq")
    monkeypatch.setenv("RP_REDIS_URL", redis_url)
    reset_caches()
    from receipts import tasks

    def broker_down(*_args, **_kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(tasks.process_receipt, "send", broker_down)
    reads(reading())
    receipt_id = _upload(member, 1)
    jobs.get_queue().enqueue(receipt_id)  # logged, not raised: the upload is answered 202
    _idle_for(receipt_id, 301)
    queue = RecordingQueue()
    assert jobs.sweep_stuck(queue) == 1 and queue.sent == [receipt_id]


def test_only_the_embedded_api_requeues_pending_receipts_at_start(member, reads, redis_url,
                                                                  monkeypatch):
    from database import reset_caches
    from fastapi.testclient import TestClient

    from app import create_app

    reads(reading())
    waiting = _upload(member, 1)
    monkeypatch.setenv("RP_JOB_BACKEND", "dramatiq")
    monkeypatch.setenv("RP_REDIS_URL", redis_url)
    reset_caches()
    with TestClient(create_app()) as client:
        assert client.get("/metrics").text.count("rp_queue_depth 0.0") == 1
    assert _status(waiting) == Status.RECEIVED  # left to the workers' sweep
    monkeypatch.setenv("RP_JOB_BACKEND", "inprocess")
    reset_caches()
    with TestClient(create_app()):
        pass  # the lifespan re-enqueues, the shutdown waits for the job
    assert _status(waiting) == Status.APPROVED

"""The points-sync outbox: what WeChat Pay must be told, kept until it was told.

A sync row is written in the transaction that decides the payment (unique ``key`` per
outcome), so a decision without its sync, or a sync of an undone decision, cannot exist.
``send_due`` sends what is due, one row at a time: a row is claimed by moving it out of
reach for a lease (a compare-and-set on ``attempts``, after ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), sent outside any transaction, then marked sent, or due again after a
backoff, or failed (refused by WeChat Pay: kept for ops to resend). A sender that dies
mid-way lets the lease lapse and the row is sent again: at least once, never lost.
Any number of senders may run: the in-process thread, CLI runs, workers.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.wechatpay.client import PointsSyncClient, SyncError, WechatPayClient
from channels.wechatpay.keys import get_keyring
from channels.wechatpay.models import PointsSync, SyncStatus, WechatPayment
from channels.wechatpay.settings import WechatPaySettings, get_wechatpay_settings
from core.clock import local_zone
from core.db import session_scope, utcnow
from core.errors import Conflict, NotFound
from points import ledger
from receipts.messages import reason_text
from receipts.models import Receipt, Status

log = logging.getLogger(__name__)
REMARKS_LIMIT = 128
# Rows a sender looks at to claim one: another sender may take the first meanwhile.
CANDIDATES = 5


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.failed


def enqueue_payment_outcome(
    db_session: Session, payment: WechatPayment, receipt: Receipt
) -> PointsSync:
    """The sync that reports what ``receipt`` decided about ``payment``."""
    earned = receipt.status == Status.APPROVED
    body = {
        "transaction_id": payment.transaction_id,
        "appid": payment.appid,
        "openid": payment.openid,
        "earn_points": earned,
        "increased_points": receipt.points if earned else 0,
        "points_update_time": utcnow().astimezone(local_zone()).isoformat(timespec="seconds"),
        "total_points": ledger.balance(db_session, receipt.member_id),
    }
    if not earned:
        body["no_points_remarks"] = remarks(receipt.reasons or [])
    if sub_mchid := get_wechatpay_settings().sub_mchid:
        body["sub_mchid"] = sub_mchid
    return _add_once(db_session, PointsSync(
        key=f"payment:{payment.transaction_id}", transaction_id=payment.transaction_id,
        body=body, status=SyncStatus.PENDING, attempts=0, next_attempt_at=utcnow(),
    ))


def remarks(codes: list[str]) -> str:
    text = "；".join(reason_text(code) for code in codes) or "未获得积分"
    return text[:REMARKS_LIMIT]


def _add_once(db_session: Session, row: PointsSync) -> PointsSync:
    try:
        with db_session.begin_nested():
            db_session.add(row)
    except IntegrityError:
        return db_session.scalar(select(PointsSync).where(PointsSync.key == row.key))
    return row


def send_due(
    *, client: PointsSyncClient | None = None, limit: int | None = None,
    now: datetime | None = None
) -> SendReport:
    """Send up to ``limit`` syncs that are due; the function a worker or scheduler calls."""
    settings = get_wechatpay_settings()
    report, owned = SendReport(), None
    try:
        for _ in range(limit or settings.sync_batch):
            claimed = _claim_next(now or utcnow(), settings)
            if claimed is None:
                break
            client = client or (owned := default_client(settings))
            _send(claimed, client, settings, report)
    finally:
        if owned is not None:
            owned.close()
    return report


def default_client(settings: WechatPaySettings | None = None) -> WechatPayClient:
    settings = settings or get_wechatpay_settings()
    return WechatPayClient(get_keyring(), settings.sync_base_url,
                           timeout=settings.sync_timeout_seconds,
                           tolerance_seconds=settings.timestamp_tolerance_seconds)


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    body: dict


def _claim_next(now: datetime, settings: WechatPaySettings) -> _Claimed | None:
    with session_scope() as db_session:
        due = (select(PointsSync.id, PointsSync.attempts)
               .where(PointsSync.status == SyncStatus.PENDING, PointsSync.next_attempt_at <= now)
               .order_by(PointsSync.next_attempt_at, PointsSync.id)
               .limit(CANDIDATES).with_for_update(skip_locked=True))
        for sync_id, attempts in db_session.execute(due).all():
            taken = db_session.execute(
                update(PointsSync)
                .where(PointsSync.id == sync_id, PointsSync.attempts == attempts,
                       PointsSync.status == SyncStatus.PENDING)
                .values(attempts=attempts + 1,
                        next_attempt_at=now + timedelta(seconds=settings.sync_lease_seconds))
            )
            if taken.rowcount == 1:
                body = db_session.scalar(select(PointsSync.body).where(PointsSync.id == sync_id))
                return _Claimed(sync_id, attempts + 1, body)
    return None


def _send(claimed: _Claimed, client: PointsSyncClient, settings: WechatPaySettings,
          report: SendReport) -> None:
    try:
        client.notify_points(claimed.body)
    except SyncError as exc:
        log.warning("points sync %s failed (attempt %d): %s", claimed.id, claimed.attempts, exc)
        if exc.retryable:
            delay = min(settings.sync_backoff_seconds * 2 ** (claimed.attempts - 1),
                        settings.sync_max_backoff_seconds)
            _finish(claimed, status=SyncStatus.PENDING, last_error=str(exc)[:2000],
                    next_attempt_at=utcnow() + timedelta(seconds=delay))
            report.retrying += 1
        else:
            _finish(claimed, status=SyncStatus.FAILED, last_error=str(exc)[:2000])
            report.failed += 1
        return
    _finish(claimed, status=SyncStatus.SENT, last_error=None, sent_at=utcnow())
    report.sent += 1


def _finish(claimed: _Claimed, **values) -> None:
    """Record the result unless the lease lapsed and another sender took the row since."""
    with session_scope() as db_session:
        db_session.execute(update(PointsSync).where(
            PointsSync.id == claimed.id, PointsSync.attempts == claimed.attempts,
        ).values(**values))


def resend(db_session: Session, *, sync_id: int) -> PointsSync:
    """Ops: send a failed sync again (after the cause was fixed)."""
    row = db_session.get(PointsSync, sync_id, with_for_update=True)
    if row is None:
        raise NotFound("sync_not_found", "找不到这条积分同步记录")
    if row.status != SyncStatus.FAILED:
        raise Conflict("sync_not_failed", "只有发送失败的积分同步可以重新发送")
    row.status, row.next_attempt_at = SyncStatus.PENDING, utcnow()
    db_session.flush()
    return row


def counts(db_session: Session) -> dict[str, int]:
    rows = db_session.execute(
        select(PointsSync.status, func.count()).group_by(PointsSync.status)).all()
    return {status: int(n) for status, n in rows}


def troubled(db_session: Session, *, limit: int = 50) -> list[PointsSync]:
    """Syncs that failed, or were tried and wait for another try."""
    query = (select(PointsSync)
             .where(PointsSync.status != SyncStatus.SENT, PointsSync.last_error.is_not(None))
             .order_by(PointsSync.id.desc()).limit(limit))
    return list(db_session.scalars(query))

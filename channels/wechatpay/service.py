"""Settling what WeChat Pay tells us. A payment is recorded once per ``transaction_id``,
matched to a store and a member, and entered as a receipt of the payment channel, which
the same claims, rules and ledger as a photo decide; its points sync goes into the
outbox in the same transaction. A refund is recorded once per ``refund_id`` and, once
refunds cover what was paid, takes the points back (冲红). Functions flush, never commit.
"""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts import service as accounts
from channels.wechatpay import matching, outbox
from channels.wechatpay.models import PaymentStatus, RefundOutcome, WechatPayment, WechatRefund
from channels.wechatpay.notification import MallRefund, MallTransaction, Notification
from channels.wechatpay.settings import get_wechatpay_settings
from core.db import utcnow
from core.errors import Conflict, NotFound
from points import ledger
from points.models import Member
from receipts import payment as payment_receipts
from receipts import records
from receipts.models import Receipt, Status

ACTOR = "wechatpay"
FEN = Decimal("0.01")


def receive(db_session: Session, notification: Notification) -> str:
    """Settle one verified notification; returns what happened (for the log)."""
    payload = notification.payload
    if isinstance(payload, MallTransaction):
        row = receive_payment(db_session, notification_id=notification.id, payment=payload)
        return f"payment {row.transaction_id}: {row.status}"
    if isinstance(payload, MallRefund):
        refund = receive_refund(db_session, notification_id=notification.id, refund=payload)
        return f"refund {refund.refund_id}: {refund.outcome}"
    accounts.record(db_session, actor=ACTOR, action="wechatpay_event_ignored",
                    target_type="wechatpay_notification", target_id=notification.id[:64],
                    after={"event_type": notification.event_type})
    return f"ignored {notification.event_type}"


def receive_payment(
    db_session: Session, *, notification_id: str, payment: MallTransaction
) -> WechatPayment:
    """Record and settle a payment, once: a repeat delivery finds the first one's row
    (a concurrent one waits for the first to commit, then finds it)."""
    created = insert_once(db_session, WechatPayment, "transaction_id", dict(
        transaction_id=payment.transaction_id, notification_id=notification_id,
        mchid=payment.mchid, shop_number=payment.shop_number, shop_name=payment.shop_name,
        merchant_name=payment.merchant_name, appid=payment.appid, openid=payment.openid,
        amount_fen=payment.amount, paid_at=payment.time_end, commit_tag=payment.commit_tag,
        status=PaymentStatus.RECEIVED,
    ))
    row = _payment_by_transaction(db_session, payment.transaction_id)
    if created:
        settle(db_session, row)
    return row


def settle(db_session: Session, row: WechatPayment) -> None:
    """Match the payment to a store and a member and let a receipt decide it; without
    either, it waits for ops with nothing credited."""
    settings = get_wechatpay_settings()
    store = matching.store_for(db_session, mchid=row.mchid, shop_number=row.shop_number)
    ours = not settings.appid or row.appid == settings.appid
    member = (matching.member_for_openid(db_session, openid=row.openid,
                                         create=settings.create_members) if ours else None)
    if member is not None:  # before any row refers to it (see payment.enter_payment)
        ledger.lock_member(db_session, member.id)
    row.merchant_id = store.id if store else None
    row.member_id = member.id if member else None
    reason = ("store_unknown" if store is None else "member_unknown" if member is None
              else "refunded" if refunded_fen(db_session, row.transaction_id) >= row.amount_fen
              else None)
    if reason:
        row.status, row.reason = PaymentStatus.UNMATCHED, reason
        db_session.flush()
        return
    receipt = payment_receipts.enter_payment(
        db_session=db_session, member_id=member.id, merchant_id=store.id, paid_at=row.paid_at,
        total=(Decimal(row.amount_fen) * FEN).quantize(FEN), transaction_id=row.transaction_id,
        actor=ACTOR,
    )
    row.status, row.reason, row.receipt_id = PaymentStatus.SETTLED, None, receipt.id
    row.settled_at = utcnow()
    outbox.enqueue_payment_outcome(db_session, row, receipt)
    db_session.flush()


def rematch(db_session: Session, *, payment_id: int, actor: str) -> WechatPayment:
    """Ops: settle an unmatched payment again (after adding its store or member)."""
    row = db_session.get(WechatPayment, payment_id, with_for_update=True)
    if row is None:
        raise NotFound("payment_not_found", "找不到这笔微信支付记录")
    if row.status != PaymentStatus.UNMATCHED:
        raise Conflict("payment_not_unmatched", "这笔支付已处理，无需重新匹配")
    before = {"status": row.status, "reason": row.reason}
    settle(db_session, row)
    accounts.record(db_session, actor=actor, action="wechatpay_rematch",
                    target_type="wechat_payment", target_id=row.transaction_id, before=before,
                    after={"status": row.status, "reason": row.reason,
                           "receipt_id": row.receipt_id})
    return row


def receive_refund(db_session: Session, *, notification_id: str, refund: MallRefund
                   ) -> WechatRefund:
    """Record a refund once; when refunds cover the payment, reverse its points."""
    payment = db_session.scalar(select(WechatPayment).where(
        WechatPayment.transaction_id == refund.transaction_id).with_for_update())
    created = insert_once(db_session, WechatRefund, "refund_id", dict(
        refund_id=refund.refund_id, transaction_id=refund.transaction_id,
        notification_id=notification_id, pay_amount_fen=refund.pay_amount,
        refund_amount_fen=refund.refund_amount, refunded_at=refund.refund_time,
        outcome=RefundOutcome.PAYMENT_UNKNOWN, payment_id=payment.id if payment else None,
        receipt_id=payment.receipt_id if payment else None,
    ))
    row = db_session.scalar(select(WechatRefund).where(WechatRefund.refund_id == refund.refund_id))
    if created and payment is not None:
        row.outcome = _reverse_when_covered(db_session, payment, row)
        db_session.flush()
    return row


def _reverse_when_covered(db_session: Session, payment: WechatPayment,
                          refund: WechatRefund) -> str:
    if payment.receipt_id is None:
        return RefundOutcome.NOT_CREDITED
    if refunded_fen(db_session, payment.transaction_id) < payment.amount_fen:
        return RefundOutcome.PARTIAL
    reason = f"微信支付退款 {refund.refund_id}"
    if payment_receipts.refund(db_session=db_session, receipt_id=payment.receipt_id,
                               actor=ACTOR, reason=reason[:200]):
        return RefundOutcome.REVERSED
    receipt = records.get_or_raise(db_session=db_session, receipt_id=payment.receipt_id)
    return (RefundOutcome.REVERSED if receipt.status == Status.REVERSED
            else RefundOutcome.NOT_CREDITED)


def refunded_fen(db_session: Session, transaction_id: str) -> int:
    total = db_session.scalar(select(func.coalesce(func.sum(WechatRefund.refund_amount_fen), 0))
                              .where(WechatRefund.transaction_id == transaction_id))
    return int(total)


def record_rejection(db_session: Session, *, code: str, serial: str | None,
                     client: str | None, size: int) -> None:
    """The audit line a refused notification leaves (the only thing it leaves)."""
    accounts.record(db_session, actor=ACTOR, action="wechatpay_rejected",
                    target_type="wechatpay_notification",
                    target_id=(serial or "")[:64] or None,
                    after={"code": code, "client": client, "bytes": size})


def insert_once(db_session: Session, model, key: str, values: dict) -> bool:
    """INSERT … ON CONFLICT (key) DO NOTHING; True when this call inserted the row.

    Not a savepoint: on SQLite (pysqlite) a SAVEPOINT opening a transaction is committed
    by its RELEASE, so a first write in ``begin_nested`` would survive a later rollback.
    """
    dialect = db_session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (build(model).values(**values).on_conflict_do_nothing(index_elements=[key])
                 .returning(model.id))
    return db_session.execute(statement).first() is not None


def _payment_by_transaction(db_session: Session, transaction_id: str) -> WechatPayment:
    return db_session.scalar(select(WechatPayment).where(
        WechatPayment.transaction_id == transaction_id))


def payments(db_session: Session, *, status: str | None = None, limit: int = 50
             ) -> list[tuple[WechatPayment, Receipt | None, str | None]]:
    """Payments newest first, each with its receipt and member code (ops page)."""
    query = (select(WechatPayment, Receipt, Member.code)
             .outerjoin(Receipt, Receipt.id == WechatPayment.receipt_id)
             .outerjoin(Member, Member.id == WechatPayment.member_id)
             .order_by(WechatPayment.id.desc()).limit(limit))
    if status:
        query = query.where(WechatPayment.status == status)
    return [tuple(found) for found in db_session.execute(query)]


def refunds(db_session: Session, *, limit: int = 20) -> list[WechatRefund]:
    query = select(WechatRefund).order_by(WechatRefund.id.desc()).limit(limit)
    return list(db_session.scalars(query))

"""A member's personal data (PIPL): everything we hold about them as JSON, and erasure.

Erasure purges what identifies or shows the person: receipt photos, their OCR text, the
samples made from them, and the member's phone number, WeChat openid and member code.
What stays is what the books and the duplicate check need, tied to an anonymous member:
the ledger (points history, the daily report's totals), each receipt's decision and
purchase fields (store, time, amount, receipt no.) and its hashes, so that the same paper
receipt still cannot be credited twice. Receipts still waiting for a decision are
rejected: nobody may be credited for them any more.
"""

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import member_sessions
from core.db import utcnow
from core.values import text_value
from dedupe import service as dedupe
from merchants import service as merchant_service
from points import ledger
from points.models import LedgerEntry, Member, TierChange
from receipts import records, storage
from receipts.models import Receipt, Status
from training_data.loop import samples
from training_data.loop.models import TrainingSample

ERASED_REASON = "member_erased"


@dataclass(frozen=True)
class Erasure:
    receipts: int
    photos_deleted: int
    samples_deleted: int
    receipts_rejected: int

    def as_dict(self) -> dict:
        return asdict(self)


def export(db_session: Session, member: Member) -> dict:
    """JSON-ready: the member, every receipt with its fields and OCR text, the ledger."""
    receipts = _receipts(db_session, member.id)
    names = {r.merchant_id: merchant_service.name_of(db_session=db_session,
                                                     merchant_id=r.merchant_id)
             for r in receipts if r.merchant_id}
    entries = db_session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member.id)
                                 .order_by(LedgerEntry.id))
    tiers = db_session.scalars(select(TierChange).where(TierChange.member_id == member.id)
                               .order_by(TierChange.id))
    return {
        "exported_at": utcnow().isoformat(),
        "member": {"code": member.code, "phone": member.phone_masked,
                   "wechat_bound": member.openid is not None, "tier": member.tier,
                   "tier_expires_on": text_value(member.tier_expires_on),
                   "points_balance": member.points_balance,
                   "created_at": member.created_at.isoformat()},
        "receipts": [_receipt(r, names.get(r.merchant_id)) for r in receipts],
        "ledger": [_entry(e) for e in entries],
        "tier_changes": [{"from": t.from_tier, "to": t.to_tier, "reason": t.reason,
                          "growth": t.growth} for t in tiers],
    }


def erase(db_session: Session, member: Member, *, actor: str) -> Erasure:
    """Erase the member's personal data (see the module docstring); flushes, never commits.
    Erasing twice changes nothing more."""
    receipts = _receipts(db_session, member.id)
    ids = {r.id for r in receipts}
    samples_deleted = _delete_samples(db_session, ids)
    rejected = photos = 0
    for receipt in receipts:
        if receipt.status in (*Status.PENDING, Status.NEEDS_REVIEW):
            receipt.reasons = [ERASED_REASON]
            dedupe.retire(db_session=db_session, receipt_id=receipt.id)
            records.transition(db_session, receipt, Status.REJECTED, actor, ERASED_REASON)
            rejected += 1
        receipt.ocr_rows = []
        receipt.purged_at = receipt.purged_at or utcnow()
    db_session.flush()
    for sha256 in {r.image_sha256 for r in receipts if r.image_sha256}:
        if not _shown_elsewhere(db_session, sha256, member.id) and storage.exists(sha256):
            storage.delete(sha256)
            photos += 1
    _anonymise(db_session, member)
    return Erasure(len(receipts), photos, samples_deleted, rejected)


def _anonymise(db_session: Session, member: Member) -> None:
    ledger.lock_member(db_session, member.id)
    member.code = f"erased-{member.id}"
    member.phone_hash = member.phone_masked = member.openid = member.unionid = None
    member_sessions.revoke_member(db_session, member.id, why="erased")
    db_session.flush()


def _receipts(db_session: Session, member_id: int) -> list[Receipt]:
    query = select(Receipt).where(Receipt.member_id == member_id)
    return list(db_session.scalars(query.order_by(Receipt.created_at)))


def _delete_samples(db_session: Session, receipt_ids: set[str]) -> int:
    if not receipt_ids:
        return 0
    found = list(db_session.scalars(
        select(TrainingSample).where(TrainingSample.receipt_id.in_(receipt_ids))))
    for sample in found:
        samples.delete(db_session, sample)
    return len(found)


def _shown_elsewhere(db_session: Session, sha256: str, member_id: int) -> bool:
    """Another member's unpurged receipt or an ops sample shows the same photo (the same
    bytes uploaded by someone else are their data too)."""
    other_receipt = select(Receipt.id).where(
        Receipt.image_sha256 == sha256, Receipt.member_id != member_id,
        Receipt.purged_at.is_(None))
    sample = select(TrainingSample.id).where(TrainingSample.image_sha256 == sha256)
    return (db_session.scalar(other_receipt.limit(1)) is not None
            or db_session.scalar(sample.limit(1)) is not None)


def _receipt(receipt: Receipt, merchant: str | None) -> dict:
    return {
        "id": receipt.id, "channel": receipt.channel, "status": receipt.status,
        "uploaded_at": receipt.created_at.isoformat(), "merchant_id": receipt.merchant_id,
        "merchant": merchant, "date": text_value(receipt.purchase_date),
        "time": text_value(receipt.purchase_time), "total": text_value(receipt.total),
        "receipt_no": receipt.receipt_no, "payment_method": receipt.payment_method,
        "points": receipt.points, "reasons": list(receipt.reasons or []),
        "ocr_text": [row.get("text", "") for row in receipt.ocr_rows or []
                     if isinstance(row, dict)],
        "photo_purged": receipt.purged_at is not None,
    }


def _entry(entry: LedgerEntry) -> dict:
    return {
        "id": entry.id, "kind": entry.kind, "points": entry.points, "reason": entry.reason,
        "receipt_id": entry.receipt_id, "merchant_id": entry.merchant_id,
        "amount": text_value(entry.amount), "business_date": text_value(entry.business_date),
        "booked_on": text_value(entry.booked_on), "expires_on": text_value(entry.expires_on),
        "created_at": entry.created_at.isoformat(),
    }

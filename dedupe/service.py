"""Finding repeats of a receipt across all members and channels."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from dedupe import claims, match
from dedupe.fingerprint import DAY_SCOPED_PREFIXES, bands, canonical_receipt_no, hamming
from dedupe.models import CreditClaim, FingerprintRecord
from dedupe.settings import get_dedupe_settings


@dataclass(frozen=True)
class PurchaseFields:
    merchant_id: str | None
    purchase_date: date | None
    purchase_time: time | None
    total: Decimal | None
    receipt_no: str | None
    transaction_id: str | None = None


@dataclass(frozen=True)
class Verdict:
    """``kind``: unique | exact | receipt_no | paid (certain repeats; paid: the member's
    WeChat Pay payment of the purchase was credited) | near_receipt_no | near_fields
    | similar_image (candidates a person must look at)."""

    kind: str
    duplicate_of: str | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.kind in ("exact", "receipt_no", "paid")


UNIQUE = Verdict("unique")


def record_image(
    *, db_session: Session, receipt_id: str, sha256: str | None, phash: int | None = None
) -> FingerprintRecord:
    record = db_session.get(FingerprintRecord, receipt_id)
    if record is None:
        record = FingerprintRecord(receipt_id=receipt_id, sha256=sha256)
        db_session.add(record)
    record.phash = phash
    record.band0, record.band1, record.band2, record.band3 = (
        bands(phash) if phash is not None else (None,) * 4
    )
    db_session.flush()
    return record


def index_fields(*, db_session: Session, receipt_id: str, fields: PurchaseFields) -> None:
    record = db_session.get(FingerprintRecord, receipt_id)
    record.merchant_id = fields.merchant_id
    record.purchase_date = fields.purchase_date
    record.purchase_time = fields.purchase_time
    record.total = fields.total
    record.receipt_no = canonical_receipt_no(fields.receipt_no) if fields.receipt_no else None
    record.transaction_id = fields.transaction_id
    db_session.flush()


def retire(*, db_session: Session, receipt_id: str) -> None:
    """Stop matching others against this receipt (it was rejected or is itself a repeat)."""
    record = db_session.get(FingerprintRecord, receipt_id)
    if record is not None:
        record.live = False
        db_session.flush()


def purge_day_scoped_claims(*, db_session: Session, before: datetime) -> int:
    """Drop claims that guard a single day and minute (look-alike numbers), taken before
    ``before``; returns how many."""
    scoped = or_(*(CreditClaim.key.startswith(prefix) for prefix in DAY_SCOPED_PREFIXES))
    result = db_session.execute(
        delete(CreditClaim).where(scoped, CreditClaim.created_at < before))
    return result.rowcount


def find_exact(*, db_session: Session, sha256: str, exclude: str | None = None) -> str | None:
    query = _live_others(exclude).where(FingerprintRecord.sha256 == sha256)
    first = db_session.scalars(query.order_by(FingerprintRecord.created_at).limit(1)).first()
    return first.receipt_id if first else None


def check(
    *, db_session: Session, receipt_id: str, evidence: claims.Evidence | None = None
) -> Verdict:
    """Compare one indexed receipt with every live original, strongest evidence first;
    with ``evidence`` (whose purchase it is), with the member's credited payments too."""
    record = db_session.get(FingerprintRecord, receipt_id)
    paid = (claims.payment_holding(db_session=db_session, record=record, evidence=evidence)
            if evidence is not None and not evidence.payment else None)
    if paid is not None:
        return Verdict("paid", paid)
    for finder in (_exact, _same_receipt_no, _near_receipt_no, _near_fields, _similar_image):
        verdict = finder(db_session, record)
        if verdict is not None:
            return verdict
    return UNIQUE


def lookalikes(*, db_session: Session, receipt_id: str) -> list[str]:
    """Live receipts of the same store and day with the same amount or a near-identical
    receipt number (one character apart in canonical form), oldest first: what a person
    compares before crediting this one."""
    record = db_session.get(FingerprintRecord, receipt_id)
    if record is None or not (record.merchant_id and record.purchase_date):
        return []
    query = _live_others(record.receipt_id).where(
        FingerprintRecord.merchant_id == record.merchant_id,
        FingerprintRecord.purchase_date == record.purchase_date,
    )
    return [
        other.receipt_id
        for other in db_session.scalars(query.order_by(FingerprintRecord.created_at))
        if (record.total is not None and other.total == record.total)
        or match.numbers_alike(record, other)
    ]


def _live_others(receipt_id: str | None):
    query = select(FingerprintRecord).where(FingerprintRecord.live.is_(True))
    if receipt_id is not None:
        query = query.where(FingerprintRecord.receipt_id != receipt_id)
    return query


def _earliest(db_session: Session, query) -> FingerprintRecord | None:
    return db_session.scalars(query.order_by(FingerprintRecord.created_at).limit(1)).first()


def _exact(db_session: Session, record: FingerprintRecord) -> Verdict | None:
    """Only an older upload of the same bytes makes this one a repeat: two uploads checked
    at the same moment would otherwise each see the other, both be marked duplicates and
    neither be credited."""
    if record.sha256 is None:
        return None
    older = or_(FingerprintRecord.created_at < record.created_at,
                and_(FingerprintRecord.created_at == record.created_at,
                     FingerprintRecord.receipt_id < record.receipt_id))
    query = _live_others(record.receipt_id).where(FingerprintRecord.sha256 == record.sha256,
                                                  older)
    first = _earliest(db_session, query)
    return Verdict("exact", first.receipt_id) if first else None


def _same_receipt_no(db_session: Session, record: FingerprintRecord) -> Verdict | None:
    if not (record.merchant_id and record.receipt_no):
        return None
    query = _live_others(record.receipt_id).where(
        FingerprintRecord.merchant_id == record.merchant_id,
        FingerprintRecord.receipt_no == record.receipt_no,
    )
    first = _earliest(db_session, query)
    return Verdict("receipt_no", first.receipt_id) if first else None


def _near_receipt_no(db_session: Session, record: FingerprintRecord) -> Verdict | None:
    if not (record.merchant_id and record.purchase_date and record.receipt_no):
        return None
    query = _live_others(record.receipt_id).where(
        FingerprintRecord.merchant_id == record.merchant_id,
        FingerprintRecord.purchase_date == record.purchase_date,
        FingerprintRecord.receipt_no.is_not(None),
    )
    for other in db_session.scalars(query.order_by(FingerprintRecord.created_at)):
        if match.near_number(record, other):
            return Verdict("near_receipt_no", other.receipt_id)
    return None


def _near_fields(db_session: Session, record: FingerprintRecord) -> Verdict | None:
    if not (record.merchant_id and record.purchase_date and record.total is not None):
        return None
    query = _live_others(record.receipt_id).where(
        FingerprintRecord.merchant_id == record.merchant_id,
        FingerprintRecord.purchase_date == record.purchase_date,
        FingerprintRecord.total == record.total,
    )
    for other in db_session.scalars(query.order_by(FingerprintRecord.created_at)):
        if match.near_fields(record, other):
            return Verdict("near_fields", other.receipt_id)
    return None


def _similar_image(db_session: Session, record: FingerprintRecord) -> Verdict | None:
    if record.phash is None or record.merchant_id is None:
        return None
    candidates = phash_candidates(
        db_session=db_session, phash=record.phash, merchant_id=record.merchant_id,
        purchase_date=record.purchase_date, total=record.total,
        max_distance=get_dedupe_settings().phash_max_distance, exclude=record.receipt_id,
    )
    return Verdict("similar_image", candidates[0].receipt_id) if candidates else None


def phash_candidates(
    *, db_session: Session, phash: int, merchant_id: str, purchase_date: date | None,
    total: Decimal | None, max_distance: int, exclude: str | None = None
) -> list[FingerprintRecord]:
    """Live receipts of the same store, read with the same amount or the same day, whose
    pHash is within ``max_distance`` bits (at most BANDS - 1: two such hashes share a
    band), oldest first.

    Receipts' pHashes collide often (NOTES.md), so a close hash only counts when the same
    store and the same amount or day were read from both; the query asks for that first:
    one index (store, band) per band reads the few rows of one store sharing a band value
    instead of every store's, and the amount or day leaves only those worth comparing."""
    agree = [column == value for column, value in ((FingerprintRecord.total, total),
                                                   (FingerprintRecord.purchase_date,
                                                    purchase_date)) if value is not None]
    if not agree:
        return []
    columns = (FingerprintRecord.band0, FingerprintRecord.band1, FingerprintRecord.band2,
               FingerprintRecord.band3)
    query = _live_others(exclude).where(
        FingerprintRecord.merchant_id == merchant_id,
        or_(*(col == value for col, value in zip(columns, bands(phash), strict=True))),
        or_(*agree),
    )
    rows = db_session.scalars(query.order_by(FingerprintRecord.created_at))
    return [row for row in rows if hamming(row.phash, phash) <= max_distance]

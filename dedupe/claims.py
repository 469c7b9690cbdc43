"""Claims: the unique keys a receipt takes before it is credited, one purchase one credit
across every channel (photo, desk, WeChat Pay payment).

Three families of keys:
- certain (``sha:``, ``tx:``, ``no:``): the bytes, WeChat Pay's transaction id, the store's
  receipt number. Another receipt holding one is the same purchase.
- look-alike (``like:``): a near-identical receipt number of the same store, day and
  minute. A person decides.
- window (``win:``, fingerprint.window_keys): one member's store + amount + purchase time
  bucket, for a payment and a receipt of the same purchase when the receipt's transaction
  id was not read. They only stand between a payment and a receipt: two payments of the
  same amount in one window are two purchases (their transaction ids differ), and two
  receipts keep the receipt-number and near-field rules. So a window key held by the same
  kind of evidence is left to its holder, and one held by the other kind is a conflict.

The unique primary key of ``credit_claim`` settles races: keys another transaction is
inserting make this insert wait, then fail; the keys are read again and the claim retried.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dedupe.fingerprint import claim_keys, lookalike_keys, window_keys
from dedupe.models import CreditClaim, FingerprintRecord
from dedupe.settings import get_dedupe_settings


@dataclass(frozen=True)
class Evidence:
    """Whose purchase a receipt is, and whether it is the payment itself (a WeChat Pay
    notification) or a receipt of it (photo, desk entry)."""

    member_id: int
    payment: bool = False


@dataclass(frozen=True)
class ClaimConflict:
    """Another receipt holds one of this one's keys: ``certain`` for the bytes, the receipt
    number, the transaction id or a window key (a repeat), else a look-alike key (a
    near-identical number of the same store, day and minute: a person decides).
    ``by_payment``: the holder is a WeChat Pay payment."""

    holder: str
    certain: bool
    by_payment: bool = False


def shared_keys(record: FingerprintRecord, evidence: Evidence | None) -> list[str]:
    if evidence is None:
        return []
    return window_keys(
        member_id=evidence.member_id, merchant_id=record.merchant_id,
        purchase_date=record.purchase_date, purchase_time=record.purchase_time,
        total=record.total, minutes=get_dedupe_settings().window_minutes,
        payment=evidence.payment,
    )


def claim(
    *, db_session: Session, receipt_id: str, lookalikes: bool = True,
    evidence: Evidence | None = None
) -> ClaimConflict | None:
    """Take this receipt's claim keys before crediting it: all of them (less window keys
    the same kind of evidence holds) or none.

    Returns None when they were taken, else the conflict with the receipt holding one
    (certain keys first, then window keys, then look-alikes). ``lookalikes=False`` (a
    person confirmed this is another purchase) leaves out the look-alike keys; without
    ``evidence`` no window keys are taken.
    """
    record = db_session.get(FingerprintRecord, receipt_id)
    keys = _Keys(
        certain=claim_keys(sha256=record.sha256, merchant_id=record.merchant_id,
                           receipt_no=record.receipt_no, transaction_id=record.transaction_id),
        alike=lookalike_keys(
            merchant_id=record.merchant_id, purchase_date=record.purchase_date,
            purchase_time=record.purchase_time, total=record.total, receipt_no=record.receipt_no,
        ) if lookalikes else [],
        shared=shared_keys(record, evidence),
        by_payment=evidence is not None and evidence.payment,
    )
    # Each failed insert means another transaction committed one of these keys meanwhile:
    # the next round sees it held, so this ends within len(keys) rounds.
    while True:
        conflict = _held_by_another(db_session, receipt_id, keys)
        if conflict is not None:
            return conflict
        held = set(db_session.scalars(select(CreditClaim.key).where(
            CreditClaim.key.in_(keys.all))))
        try:
            with db_session.begin_nested():
                # One order for every worker: two inserting the same keys wait, never deadlock.
                for key in sorted(set(keys.all) - held):
                    db_session.add(CreditClaim(key=key, receipt_id=receipt_id,
                                               by_payment=keys.by_payment))
            return None
        except IntegrityError:
            continue


def payment_holding(
    *, db_session: Session, record: FingerprintRecord, evidence: Evidence
) -> str | None:
    """The payment that holds this receipt's transaction id or one of its window keys, if
    any: the purchase was credited through WeChat Pay already."""
    keys = shared_keys(record, evidence)
    if record.transaction_id:
        keys.append(f"tx:{record.transaction_id}")
    if not keys:
        return None
    query = select(CreditClaim.receipt_id).where(
        CreditClaim.key.in_(keys), CreditClaim.by_payment.is_(True),
        CreditClaim.receipt_id != record.receipt_id,
    ).order_by(CreditClaim.created_at).limit(1)
    return db_session.scalars(query).first()


@dataclass(frozen=True)
class _Keys:
    certain: list[str]
    alike: list[str]
    shared: list[str]
    by_payment: bool

    @property
    def all(self) -> list[str]:
        return self.certain + self.shared + self.alike


def _held_by_another(db_session: Session, receipt_id: str, keys: _Keys) -> ClaimConflict | None:
    holders = {key: (holder, by_payment) for key, holder, by_payment in db_session.execute(
        select(CreditClaim.key, CreditClaim.receipt_id, CreditClaim.by_payment).where(
            CreditClaim.key.in_(keys.all), CreditClaim.receipt_id != receipt_id)
    ).all()}
    for key in keys.certain:
        if key in holders:
            return ClaimConflict(holders[key][0], True, holders[key][1])
    for key in keys.shared:
        if key in holders and holders[key][1] != keys.by_payment:
            return ClaimConflict(holders[key][0], True, holders[key][1])
    for key in keys.alike:
        if key in holders:
            return ClaimConflict(holders[key][0], False, holders[key][1])
    return None

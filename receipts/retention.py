"""Retention purge: photos and OCR text of decided receipts older than the limit.

What stays: the decision, the extracted fields, the points and the hashes (dedupe
still recognises a purged receipt if it is uploaded again). Claims that guard only one
day's look-alike receipt numbers go too: no receipt that old can earn any more. A photo kept as a labelled
training sample stays while the sample refers to it.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from dedupe import service as dedupe
from receipts import storage
from receipts.models import Receipt, Status
from training_data.loop import samples


def purge(*, db_session: Session, older_than_days: int) -> int:
    """Returns how many receipts were purged."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    old = list(
        db_session.scalars(
            select(Receipt).where(
                Receipt.created_at < cutoff,
                Receipt.status.in_(Status.FINAL),
                Receipt.purged_at.is_(None),
            )
        )
    )
    kept_as_samples = samples.image_names(db_session)
    for receipt in old:
        receipt.ocr_rows = []
        receipt.purged_at = utcnow()
        if (receipt.image_sha256 and receipt.image_sha256 not in kept_as_samples
                and not _still_needed(db_session, receipt.image_sha256, cutoff)):
            storage.delete(receipt.image_sha256)
    dedupe.purge_day_scoped_claims(db_session=db_session, before=cutoff)
    db_session.flush()
    return len(old)


def _still_needed(db_session: Session, sha256: str, cutoff) -> bool:
    """A newer or undecided receipt may share the same (content-addressed) image."""
    query = select(Receipt.id).where(
        Receipt.image_sha256 == sha256,
        (Receipt.created_at >= cutoff) | Receipt.status.not_in(Status.FINAL),
    )
    return db_session.scalar(query.limit(1)) is not None

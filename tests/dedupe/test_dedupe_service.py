from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from core.db import session_scope, utcnow
from dedupe import claims
from dedupe import service as dedupe
from dedupe.models import CreditClaim
from receipts.models import Receipt


def _receipt(member: int, rid: str, sha: str, phash: int | None = None, **fields) -> None:
    with session_scope() as db_session:
        db_session.add(Receipt(id=rid, member_id=member, image_sha256=sha))
        db_session.flush()
        dedupe.record_image(db_session=db_session, receipt_id=rid, sha256=sha, phash=phash)
        if fields:
            dedupe.index_fields(
                db_session=db_session, receipt_id=rid,
                fields=dedupe.PurchaseFields(**{
                    "merchant_id": None, "purchase_date": None, "purchase_time": None,
                    "total": None, "receipt_no": None, **fields,
                }),
            )


def _check(rid: str) -> dedupe.Verdict:
    with session_scope() as db_session:
        return dedupe.check(db_session=db_session, receipt_id=rid)


PURCHASE = {"merchant_id": "m001", "purchase_date": date(2026, 11, 20),
            "purchase_time": time(14, 32), "total": Decimal("279.00")}


def test_same_bytes_is_an_exact_duplicate(member, demo_mall):
    _receipt(member, "r1", "aa")
    _receipt(member, "r2", "aa")
    assert _check("r2") == dedupe.Verdict("exact", "r1")


def test_same_receipt_number_at_same_merchant_is_a_duplicate(member, demo_mall):
    _receipt(member, "r1", "a1", **PURCHASE, receipt_no="NO-001")
    _receipt(member, "r2", "a2", **{**PURCHASE, "total": Decimal("1.00")}, receipt_no="no 001")
    assert _check("r2") == dedupe.Verdict("receipt_no", "r1")


def test_same_number_at_another_merchant_is_not(member, demo_mall):
    _receipt(member, "r1", "a1", **PURCHASE, receipt_no="001")
    _receipt(member, "r2", "a2", **{**PURCHASE, "merchant_id": "m002"}, receipt_no="001")
    assert _check("r2").kind == "unique"


def test_same_amount_minutes_apart_without_number_goes_to_review(member, demo_mall):
    _receipt(member, "r1", "a1", **PURCHASE)
    _receipt(member, "r2", "a2", **{**PURCHASE, "purchase_time": time(14, 35)})
    _receipt(member, "r3", "a3", **{**PURCHASE, "purchase_time": time(15, 40)})
    assert _check("r2") == dedupe.Verdict("near_fields", "r1")
    assert _check("r3").kind == "unique"


def test_different_receipt_numbers_are_different_purchases(member, demo_mall):
    _receipt(member, "r1", "a1", **PURCHASE, receipt_no="001")
    _receipt(member, "r2", "a2", **PURCHASE, receipt_no="002")
    assert _check("r2").kind == "unique"


def test_close_phash_needs_agreeing_fields(member, demo_mall):
    h = 0x0F0F0F0F0F0F0F0F
    _receipt(member, "r1", "a1", phash=h, **PURCHASE)
    _receipt(member, "r2", "a2", phash=h ^ 0b11, **{**PURCHASE, "purchase_time": time(9, 0)})
    _receipt(member, "r3", "a3", phash=h ^ 0b1, merchant_id="m002", total=Decimal("5"))
    assert _check("r2") == dedupe.Verdict("similar_image", "r1")
    assert _check("r3").kind == "unique"


def test_retired_receipts_are_not_matched(member, demo_mall):
    _receipt(member, "r1", "aa")
    with session_scope() as db_session:
        dedupe.retire(db_session=db_session, receipt_id="r1")
    _receipt(member, "r2", "aa")
    assert _check("r2").kind == "unique"


def test_claim_is_held_by_the_first_receipt(member, demo_mall):
    _receipt(member, "r1", "a1", **PURCHASE, receipt_no="77")
    _receipt(member, "r2", "a2", **PURCHASE, receipt_no="77")
    with session_scope() as db_session:
        assert claims.claim(db_session=db_session, receipt_id="r1") is None
    with session_scope() as db_session:
        assert claims.claim(db_session=db_session, receipt_id="r2") == claims.ClaimConflict(
            "r1", certain=True)
    with session_scope() as db_session:  # claiming again is idempotent for the holder
        assert claims.claim(db_session=db_session, receipt_id="r1") is None


def test_the_older_of_two_uploads_of_the_same_bytes_is_never_the_repeat(member, demo_mall):
    """Two workers deciding two uploads of the same photo at the same moment each saw the
    other as the original: both became duplicates and nobody was credited."""
    _receipt(member, "r1", "same")
    _receipt(member, "r2", "same")  # both live: neither was decided yet
    assert _check("r1").kind == "unique"
    assert _check("r2") == dedupe.Verdict("exact", "r1")


def test_purge_drops_old_lookalike_claims_and_keeps_the_certain_ones(member, demo_mall):
    _receipt(member, "old", "b1", **PURCHASE, receipt_no="XS20261018222")
    _receipt(member, "new", "b2", **PURCHASE, receipt_no="XS20261018999")
    for rid in ("old", "new"):
        with session_scope() as db_session:
            assert claims.claim(db_session=db_session, receipt_id=rid) is None
    with session_scope() as db_session:
        db_session.execute(update(CreditClaim).where(CreditClaim.receipt_id == "old")
                           .values(created_at=utcnow() - timedelta(days=400)))
        held = db_session.execute(select(CreditClaim.receipt_id, CreditClaim.key)).all()
    old_lookalikes = [key for rid, key in held if rid == "old" and key.startswith("like:")]
    with session_scope() as db_session:
        purged = dedupe.purge_day_scoped_claims(db_session=db_session,
                                                before=utcnow() - timedelta(days=365))
    with session_scope() as db_session:
        kept = db_session.execute(select(CreditClaim.receipt_id, CreditClaim.key)).all()
    old_keys = sorted(key.split(":")[0] for rid, key in kept if rid == "old")
    assert len(old_lookalikes) > 1 and purged == len(old_lookalikes)
    assert old_keys == ["no", "sha"]
    assert sum(key.startswith("like:") for rid, key in kept if rid == "new") > 1

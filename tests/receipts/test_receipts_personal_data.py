"""A member's data: exported whole; erased on request with photos, OCR text and the
phone number gone while the points history and the daily report stay as they were."""

from dataclasses import replace
from decimal import Decimal

from fakes import TODAY, reading, submit_and_process
from sqlalchemy import select

from core.clock import local_today
from core.db import session_scope
from ocr.types import Row
from points import report
from points import service as points_service
from points.models import LedgerEntry, Member
from receipts import personal_data, review, storage
from receipts.models import Receipt, Status
from training_data.loop.models import TrainingSample

PHONE_ROW = Row("会员手机 13912345678", 0.99)


def _reading(**fields):
    return replace(reading(**fields), rows=[Row("优衣库 UNIQLO", 0.99), PHONE_ROW])


def _mall_with_history(member: int, reads) -> dict:
    """Approved, corrected by the desk (a sample), waiting for review; another member
    uploaded one of the same photos."""
    reads(_reading())
    approved = submit_and_process(member, 1)
    reads(_reading(receipt_no="B-2", conf=0.5))
    corrected = submit_and_process(member, 2)
    with session_scope() as db_session:
        review.approve_review(db_session=db_session, receipt_id=corrected, actor="staff:li",
                              corrections={"total": Decimal("300.00")}, today=TODAY)
    reads(_reading(receipt_no="C-3", conf=0.5))
    waiting = submit_and_process(member, 3)
    with session_scope() as db_session:
        other = points_service.get_or_create_by_code(db_session=db_session, code="M200").id
    shared = submit_and_process(other, 1)  # the same bytes: a duplicate of ``approved``
    return {"approved": approved, "corrected": corrected, "waiting": waiting,
            "other": shared}


def _sha(receipt_id: str) -> str:
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id).image_sha256


def _ledger(member: int) -> list[tuple]:
    with session_scope() as db_session:
        return list(db_session.execute(
            select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.points, LedgerEntry.receipt_id)
            .where(LedgerEntry.member_id == member).order_by(LedgerEntry.id)).all())


def test_export_holds_receipts_fields_ocr_text_and_ledger(member, reads):
    ids = _mall_with_history(member, reads)
    with session_scope() as db_session:
        data = personal_data.export(db_session, db_session.get(Member, member))
    assert data["member"]["code"] == "M100" and data["member"]["phone"] == "139****5678"
    by_id = {r["id"]: r for r in data["receipts"]}
    assert set(by_id) == {ids["approved"], ids["corrected"], ids["waiting"]}
    assert by_id[ids["corrected"]]["total"] == "300.00"
    assert by_id[ids["approved"]]["ocr_text"] == ["优衣库 UNIQLO", "会员手机 139****5678"]
    assert [(e["kind"], e["points"]) for e in data["ledger"]] == [("earn", 279), ("earn", 300)]


def test_erasure_purges_photos_and_text_and_keeps_the_books(member, reads):
    ids = _mall_with_history(member, reads)
    day = local_today()
    with session_scope() as db_session:
        report_before = report.daily(db_session, day)
    ledger_before = _ledger(member)
    with session_scope() as db_session:
        done = personal_data.erase(db_session, db_session.get(Member, member),
                                   actor="staff:li")
    assert (done.receipts, done.samples_deleted, done.receipts_rejected) == (3, 1, 1)
    assert not storage.exists(_sha(ids["corrected"])) and not storage.exists(_sha(ids["waiting"]))
    assert storage.exists(_sha(ids["approved"]))  # member M200 uploaded the same photo
    with session_scope() as db_session:
        mine = list(db_session.scalars(select(Receipt).where(Receipt.member_id == member)))
        assert all(r.ocr_rows == [] and r.purged_at is not None for r in mine)
        assert db_session.get(Receipt, ids["waiting"]).status == Status.REJECTED
        assert db_session.scalar(select(TrainingSample)) is None
        erased = db_session.get(Member, member)
        assert (erased.phone_hash, erased.phone_masked, erased.openid) == (None, None, None)
        assert erased.code == f"erased-{member}" and erased.points_balance == 579
        assert db_session.scalar(select(Member).where(Member.code == "M100")) is None
        assert report.daily(db_session, day) == report_before
    assert _ledger(member) == ledger_before


def test_an_erased_members_receipt_still_cannot_be_credited_again(member, reads):
    reads(_reading())
    first = submit_and_process(member, 1)
    with session_scope() as db_session:
        personal_data.erase(db_session, db_session.get(Member, member), actor="member:1")
        other = points_service.get_or_create_by_code(db_session=db_session, code="M300").id
    reads(_reading())  # another photo of the same paper receipt (same number)
    again = submit_and_process(other, 7)
    with session_scope() as db_session:
        repeat = db_session.get(Receipt, again)
        assert (repeat.status, repeat.duplicate_of) == (Status.DUPLICATE, first)

"""The review queue as staff work it: claims, filters, reject reasons, the audit line of
each desk action, and corrections kept as labelled samples."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from fakes import photo_bytes, reading, submit_and_process
from sqlalchemy import select

from accounts.models import AuditEntry
from core.db import session_scope, utcnow
from core.errors import AppError
from receipts import desk, retention, review, storage
from receipts.models import Receipt, Status
from training_data.loop import samples
from training_data.loop.labels import load_labels, normalize_date, normalize_total
from training_data.loop.models import TrainingSample


def _in_review(member: int, seed: int) -> str:
    receipt_id = submit_and_process(member, seed)
    with session_scope() as db_session:
        assert db_session.get(Receipt, receipt_id).status == Status.NEEDS_REVIEW
    return receipt_id


def _claim(receipt_id: str, actor: str) -> None:
    with session_scope() as db_session:
        review.claim(db_session=db_session, receipt_id=receipt_id, actor=actor)


def test_desk_second_staff_cannot_claim_or_decide_an_item_another_is_working(member, reads):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    _claim(receipt_id, "staff:li")
    _claim(receipt_id, "staff:li")  # opening it again is fine
    for action in (
        lambda s: review.claim(db_session=s, receipt_id=receipt_id, actor="staff:wang"),
        lambda s: review.approve_review(db_session=s, receipt_id=receipt_id, actor="staff:wang"),
        lambda s: review.reject_review(db_session=s, receipt_id=receipt_id, actor="staff:wang",
                                     reason="unreadable"),
    ):
        with session_scope() as db_session, pytest.raises(AppError) as err:
            action(db_session)
        assert (err.value.code, err.value.status) == ("receipt_claimed", 409)
        assert "li" in err.value.message
    with session_scope() as db_session:
        review.approve_review(db_session=db_session, receipt_id=receipt_id, actor="staff:li")
        receipt = db_session.get(Receipt, receipt_id)
        assert (receipt.status, receipt.claimed_by) == (Status.APPROVED, None)


def test_desk_claim_lapses_and_release_hands_the_item_back(member, reads, monkeypatch):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    _claim(receipt_id, "staff:li")
    with session_scope() as db_session:
        review.release(db_session=db_session, receipt_id=receipt_id, actor="staff:wang")
    with session_scope() as db_session:
        assert db_session.get(Receipt, receipt_id).claimed_by == "staff:li"  # not wang's
        review.release(db_session=db_session, receipt_id=receipt_id, actor="staff:li")
    _claim(receipt_id, "staff:wang")
    with session_scope() as db_session:
        db_session.get(Receipt, receipt_id).claimed_at = utcnow() - timedelta(minutes=11)
    _claim(receipt_id, "staff:li")  # wang's claim lapsed after 10 minutes


def test_desk_next_item_is_the_oldest_nobody_else_holds(member, reads):
    reads(reading(conf=0.5, receipt_no=None))
    first, second = _in_review(member, 1), _in_review(member, 2)
    with session_scope() as db_session:
        assert review.claim_next(db_session=db_session, actor="staff:li").id == first
    with session_scope() as db_session:
        assert review.claim_next(db_session=db_session, actor="staff:wang").id == second
    with session_scope() as db_session:
        assert review.claim_next(db_session=db_session, actor="staff:zhou") is None
        again = review.claim_next(db_session=db_session, actor="staff:li")
        assert again.id == first
        skipped = review.claim_next(db_session=db_session, actor="staff:li",
                                    skip=frozenset({first}))
        assert skipped is None


def test_desk_queue_filters_by_merchant_reason_and_upload_day(member, reads):
    reads(reading(conf=0.5))
    low = _in_review(member, 1)
    reads(reading(merchant=None, receipt_no="B-2"))
    unknown = _in_review(member, 2)

    def ids(**filters):
        with session_scope() as db_session:
            return [r.id for r in review.review_queue(db_session=db_session, **filters)]

    assert ids() == [low, unknown]
    assert ids(merchant_id="m001") == [low]
    assert ids(reason="merchant_unknown") == [unknown]
    with session_scope() as db_session:
        db_session.get(Receipt, low).created_at = utcnow() - timedelta(days=2)
    from core.clock import local_today
    assert ids(day=local_today()) == [unknown]
    assert ids(day=local_today() - timedelta(days=2)) == [low]


@pytest.mark.parametrize(("reason", "note", "code"), [
    ("because", None, "reject_reason_invalid"),
    ("other", "  ", "reject_note_required"),
])
def test_desk_reject_needs_a_listed_reason_and_other_needs_a_note(
    member, reads, reason, note, code
):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    with session_scope() as db_session, pytest.raises(AppError) as err:
        desk.reject(db_session, receipt_id=receipt_id, actor="staff:li", reason=reason, note=note)
    assert (err.value.code, err.value.status) == (code, 422)
    with session_scope() as db_session:
        desk.reject(db_session, receipt_id=receipt_id, actor="staff:li", reason="other",
                    note="小票为复印件")
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "reject"))
    assert (receipt.status, receipt.reasons) == (Status.REJECTED, ["other"])
    assert entry.before["status"] == "needs_review"
    assert (entry.after["status"], entry.after["note"]) == ("rejected", "小票为复印件")


def test_desk_correction_is_audited_and_kept_as_a_labelled_sample(member, reads, tmp_path):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    with session_scope() as db_session:
        desk.approve(db_session, receipt_id=receipt_id, actor="staff:li",
                     corrections={"total": Decimal("300.00")})
    with session_scope() as db_session:
        entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "approve"))
        sample = db_session.scalar(select(TrainingSample))
        assert (entry.actor, entry.target_id) == ("staff:li", receipt_id)
        assert (entry.before["total"], entry.before["points"]) == ("279.00", 0)
        assert (entry.after["total"], entry.after["points"]) == ("300.00", 300)
        assert (sample.merchant_id, sample.source, sample.receipt_id) == (
            "m001", "desk_correction", receipt_id)
        assert (sample.read["total"], sample.labels["total"]) == ("279.00", "300.00")
        assert sample.created_by == "staff:li"
        count = samples.export(db_session, tmp_path / "out", merchant_id="m001")
    labels = load_labels(tmp_path / "out" / "labels.jsonl")
    assert count == 1 and len(labels) == 1
    assert normalize_total(labels[0]["total"]) == Decimal("300.00")
    assert normalize_date(labels[0]["date"]) == reading().extraction.value("date")
    assert labels[0]["merchant"] and labels[0]["merchant_id"] == "m001"
    image = tmp_path / "out" / "images" / labels[0]["file"]
    assert image.read_bytes() == photo_bytes(1)
    assert json.loads((tmp_path / "out" / "labels.jsonl").read_text())["source"] == (
        "desk_correction")


def test_desk_approval_without_changes_stores_no_sample(member, reads):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    with session_scope() as db_session:
        desk.approve(db_session, receipt_id=receipt_id, actor="staff:li")
    with session_scope() as db_session:
        assert db_session.scalar(select(TrainingSample)) is None


def test_retention_purge_keeps_photos_that_are_training_samples(member, reads):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    with session_scope() as db_session:
        desk.approve(db_session, receipt_id=receipt_id, actor="staff:li",
                     corrections={"total": Decimal("300.00")})
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        receipt.created_at = utcnow() - timedelta(days=400)
        sha256 = receipt.image_sha256
    with session_scope() as db_session:
        assert retention.purge(db_session=db_session, older_than_days=365) == 1
    assert storage.get(sha256) == photo_bytes(1)


def test_desk_deleting_a_correction_sample_keeps_the_receipts_photo(member, reads):
    reads(reading(conf=0.5))
    receipt_id = _in_review(member, 1)
    with session_scope() as db_session:
        desk.approve(db_session, receipt_id=receipt_id, actor="staff:li",
                     corrections={"total": Decimal("300.00")})
    with session_scope() as db_session:
        samples.delete(db_session, db_session.scalar(select(TrainingSample)))
    assert storage.get(_receipt_photo(receipt_id)) == photo_bytes(1)


def _receipt_photo(receipt_id: str) -> str:
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id).image_sha256

"""Fraud signals (issue 16): each sends a receipt to review with its own reason code and
evidence, never rejects; a receipt claimed by another member stays a duplicate with the
signal recorded, or goes to review while the first is undecided; a camera photo of a
generated receipt is not flagged. SQLite and PostgreSQL."""

import io
import random
from datetime import date

import numpy as np
import pytest
from fakes import photo_bytes, reading, submit_and_process
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from core.db import session_scope
from ocr.preprocess import PreparedImage
from points import service as points_service
from receipts import flow
from receipts.models import Receipt, ReceiptEvent, Status
from training_data.synth import generate_receipt, load_registry
from training_data.synth.screen import screen_photo, screenshot

DAY = date(2026, 11, 20)


def _get(receipt_id: str) -> Receipt:
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id)


def _other_member() -> int:
    with session_scope() as db_session:
        return points_service.get_or_create_by_code(db_session=db_session, code="M200").id


def _upload(member: int, data: bytes) -> str:
    with session_scope() as db_session:
        receipt = flow.submit_photo(db_session=db_session, member_id=member, data=data,
                                    actor="test")
        receipt_id = receipt.id
    flow.process(receipt_id, today=date(2026, 11, 23))
    return receipt_id


def _purchase(reads, member: int, seed: int, merchant: str = "m001", **fields) -> Receipt:
    """A purchase with its own number, amount and picture (one picture for all would make
    them similar images)."""
    read = reading(merchant=merchant, **{"receipt_no": f"N-{seed}", "total": f"{100 + seed}.00",
                                         "day": DAY, **fields})
    picture = np.random.default_rng(seed).integers(0, 255, (64, 32, 3), dtype=np.uint8)
    read.prepared = PreparedImage(image=picture)
    reads(read)
    return _get(submit_and_process(member, seed))


def test_fraud_a_members_receipts_beyond_the_store_limit_of_a_purchase_day_go_to_review(
    member, reads
):
    first_three = [_purchase(reads, member, seed) for seed in (1, 2, 3)]
    assert [r.status for r in first_three] == [Status.APPROVED] * 3
    _purchase(reads, member, 4, merchant="m001", day=date(2026, 11, 19))  # another day
    fourth = _purchase(reads, member, 5)
    assert fourth.status == Status.NEEDS_REVIEW
    assert fourth.reasons == ["many_receipts_store_day"]
    assert fourth.signals["many_receipts_store_day"] == {"day": "2026-11-20", "count": 4,
                                                         "limit": 3}


def test_fraud_a_members_receipts_beyond_the_daily_limit_go_to_review(member, reads):
    stores = ("m001", "m002", "m003", "m004", "m005", "m006")
    decided = [_purchase(reads, member, seed, merchant=store)
               for seed, store in enumerate(stores, 1)]
    assert [r.status for r in decided[:5]] == [Status.APPROVED] * 5
    assert decided[5].status == Status.NEEDS_REVIEW
    assert decided[5].reasons == ["many_receipts_member_day"]
    assert decided[5].signals["many_receipts_member_day"]["count"] == 6


def test_fraud_a_receipt_number_another_member_was_credited_for_stays_a_duplicate_signalled(
    member, reads
):
    first = _purchase(reads, member, 1, receipt_no="XS2026-0001")
    assert first.status == Status.APPROVED
    # The same number canonically, read from another photo.
    second = _purchase(reads, _other_member(), 2, receipt_no="X52026 0001")
    assert second.status == Status.DUPLICATE
    assert second.reasons == ["duplicate_receipt_no", "claimed_by_other_member"]
    assert second.signals["claimed_by_other_member"] == {"receipt": first.id,
                                                          "member_id": member}
    with session_scope() as db_session:
        event = db_session.scalars(select(ReceiptEvent).where(
            ReceiptEvent.receipt_id == second.id, ReceiptEvent.to_status == Status.DUPLICATE)
        ).one()
    assert event.details == {"signal": "claimed_by_other_member", "holder_member_id": member}


def test_fraud_the_members_own_repeat_is_a_plain_duplicate(member, reads):
    _purchase(reads, member, 1)
    again = _get(submit_and_process(member, 1))
    assert (again.status, again.reasons, again.signals) == (Status.DUPLICATE,
                                                            ["duplicate_exact"], {})


def test_fraud_a_receipt_another_member_has_in_review_goes_to_review_too(member, reads):
    first = _purchase(reads, member, 1, conf=0.5)
    assert first.status == Status.NEEDS_REVIEW
    second = _get(submit_and_process(_other_member(), 1))  # the same photo, forwarded
    assert second.status == Status.NEEDS_REVIEW
    assert second.reasons == ["claimed_by_other_member", "possible_duplicate"]
    assert second.duplicate_of == first.id


def _jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **options)
    return buffer.getvalue()


def _generated(seed: int, distort: bool) -> Image.Image:
    merchant = random.Random(seed).choice(load_registry())
    return generate_receipt(merchant, random.Random(f"fraud-test-{seed}"), distort=distort)[0]


@pytest.mark.parametrize("where", ["exif", "png_text"])
def test_fraud_an_image_an_editor_saved_goes_to_review(member, reads, where):
    picture = Image.open(io.BytesIO(photo_bytes(7))).convert("RGB")
    if where == "exif":
        exif = Image.Exif()
        exif[0x0131] = "Adobe Photoshop 25.0 (Windows)"
        data = _jpeg(picture, exif=exif.tobytes())
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "GIMP 2.10.34")
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", pnginfo=info)
        data = buffer.getvalue()
    reads(reading(receipt_no="E-1", day=DAY))
    receipt = _get(_upload(member, data))
    assert receipt.status == Status.NEEDS_REVIEW
    assert receipt.reasons == ["image_edited"]
    assert receipt.signals["image_edited"]["software"].startswith(("Adobe Photoshop", "GIMP"))


def test_fraud_a_screenshot_goes_to_review(member, reads):
    buffer = io.BytesIO()
    screenshot(_generated(1, distort=False), random.Random(1)).save(buffer, "PNG")
    reads(reading(receipt_no="S-1", day=DAY))
    receipt = _get(_upload(member, buffer.getvalue()))
    assert (receipt.status, receipt.reasons) == (Status.NEEDS_REVIEW, ["image_screenshot"])
    assert receipt.signals["image_screenshot"]["format"] == "PNG"


def test_fraud_a_photo_of_a_screen_goes_to_review(member, reads):
    photo = screen_photo(_generated(2, distort=False), random.Random(2))
    reads(reading(receipt_no="S-2", day=DAY))
    receipt = _get(_upload(member, _jpeg(photo)))
    assert (receipt.status, receipt.reasons) == (Status.NEEDS_REVIEW, ["image_screen_photo"])


def test_fraud_a_camera_photo_of_a_receipt_is_not_flagged(member, reads):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Apple", "iPhone 13", "17.1.2"
    reads(reading(receipt_no="C-1", day=DAY))
    receipt = _get(_upload(member, _jpeg(_generated(3, distort=True), exif=exif.tobytes())))
    assert (receipt.status, receipt.signals) == (Status.APPROVED, {})
    assert receipt.image_traits["camera"] is True and receipt.image_traits["peak"] > 0

"""Fixed readings for tests of the decision flow and the API (no OCR involved)."""

from datetime import date, time
from decimal import Decimal

import cv2
import numpy as np

from merchants.types import Extraction, FieldValue, MerchantMatch
from ocr.image import decode_image
from ocr.preprocess import PreparedImage
from ocr.settings import get_ocr_settings
from ocr.types import OcrResult
from receipts.reading import Reading

TODAY = date(2026, 11, 23)


def photo_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (120, 80, 3), dtype=np.uint8)
    return cv2.imencode(".png", img)[1].tobytes()


def reading(merchant="m001", total="279.00", day=date(2026, 11, 20), receipt_no="A-001",
             conf=0.99, at: time | None = time(14, 32), transaction_id: str | None = None
             ) -> Reading:
    fields = {
        "date": FieldValue(day, conf, "test"),
        "total": FieldValue(Decimal(total), conf, "test"),
    }
    if at is not None:
        fields["time"] = FieldValue(at, conf, "test")
    if receipt_no:
        fields["receipt_no"] = FieldValue(receipt_no, conf, "test")
    if transaction_id:
        fields["transaction_id"] = FieldValue(transaction_id, conf, "test")
    return Reading(
        prepared=PreparedImage(image=np.full((64, 32, 3), 255, np.uint8)),
        ocr=OcrResult(),
        rows=[],
        merchant=MerchantMatch(merchant, "x" if merchant else None, 95.0, 40.0,
                               0.99 if merchant else 0.0),
        extraction=Extraction(template_id="_generic", fields=fields),
        seconds=0.0,
    )


def hand_decoded(data: bytes, on_decoded) -> None:
    """What the real reader does with ``on_decoded``: the decoded photo, once."""
    if on_decoded is not None:
        on_decoded(decode_image(data, get_ocr_settings()))


class FixedReader:
    def __init__(self, reading: Reading | Exception):
        self.reading = reading

    def read(self, data, *, today=None, on_decoded=None):
        if isinstance(self.reading, Exception):
            raise self.reading
        hand_decoded(data, on_decoded)
        return self.reading




def submit_and_process(member: int, seed: int) -> str:
    """Upload ``photo_bytes(seed)`` for ``member`` and run the flow on it (as of TODAY);
    returns the receipt id."""
    from core.db import session_scope
    from receipts import flow
    from receipts.models import Status

    with session_scope() as db_session:
        receipt = flow.submit_photo(
            db_session=db_session, member_id=member, data=photo_bytes(seed), actor="test"
        )
        receipt_id, status = receipt.id, receipt.status
    if status == Status.RECEIVED:
        flow.process(receipt_id, today=TODAY)
    return receipt_id

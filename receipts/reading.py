"""Reading one receipt photo: OCR → merchant → fields → confidence. No database."""

import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from merchants.recognize import MerchantIndex
from merchants.types import Extraction, MerchantMatch, MerchantProfile
from ocr.layout import group_rows
from ocr.pipeline import read_image
from ocr.preprocess import PreparedImage
from ocr.types import OcrResult, Row
from receipts.settings import get_receipt_settings

REQUIRED_FIELDS = ("merchant", "date", "total")


@dataclass
class Interpretation:
    """What the OCR rows of one receipt say: the store, the fields, how sure each is."""

    rows: list[Row]
    merchant: MerchantMatch
    extraction: Extraction

    @property
    def confidence(self) -> dict[str, float]:
        scores = {"merchant": self.merchant.confidence if self.merchant.merchant_id else 0.0}
        for name in ("date", "time", "total", "receipt_no", "payment_method"):
            scores[name] = round(self.extraction.confidence(name), 3)
        return scores

    @property
    def low_confidence_fields(self) -> list[str]:
        settings = get_receipt_settings()
        thresholds = {
            "merchant": settings.min_confidence_merchant,
            "date": settings.min_confidence_date,
            "total": settings.min_confidence_total,
        }
        scores = self.confidence
        return [name for name in REQUIRED_FIELDS if scores[name] < thresholds[name]]

    @property
    def auto_approvable(self) -> bool:
        return not self.low_confidence_fields


@dataclass
class Reading(Interpretation):
    """An interpretation plus the photo it was read from."""

    prepared: PreparedImage
    ocr: OcrResult
    seconds: float


class Reader:
    """Reads receipts against one registry snapshot; reuse it across receipts."""

    def __init__(
        self,
        merchants: Sequence[MerchantProfile],
        templates: TemplateSet | None = None,
        *,
        today: date | None = None,
    ):
        """``today`` pins the upload date the date checks assume (evaluating old data sets);
        by default each read uses the real date."""
        self.index = MerchantIndex(merchants)
        self.templates = templates or default_templates()
        self.today = today

    def read(self, data: bytes, *, today: date | None = None) -> Reading:
        started = clock.perf_counter()
        prepared, ocr_result = read_image(data)
        found = self.interpret(group_rows(ocr_result.lines), today=today)
        return Reading(
            rows=found.rows,
            merchant=found.merchant,
            extraction=found.extraction,
            prepared=prepared,
            ocr=ocr_result,
            seconds=clock.perf_counter() - started,
        )

    def interpret(self, rows: list[Row], *, today: date | None = None) -> Interpretation:
        """Store and fields from OCR rows already read (no OCR: milliseconds)."""
        match = self.index.recognize(rows)
        template = self.templates.for_merchant(match.merchant_id)
        extraction = extract(rows, template, today=today or self.today)
        return Interpretation(rows=rows, merchant=match, extraction=extraction)


@lru_cache(maxsize=1)
def default_templates() -> TemplateSet:
    return TemplateSet.from_dir(BUNDLED_DIR)


@lru_cache(maxsize=4)
def reader_for(merchants: tuple[MerchantProfile, ...]) -> Reader:
    """A Reader per registry snapshot, so edits to the registry take effect at once."""
    return Reader(merchants)

"""Reading one receipt photo: OCR → merchant → fields → confidence. The database is only
asked which registry and templates are in force (``in_force``), never while reading."""

import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from core.privacy import mask_sensitive
from merchants import service as merchant_service
from merchants import template_versions
from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from merchants.recognize import MerchantIndex
from merchants.types import Extraction, MerchantMatch, MerchantProfile
from ocr.layout import group_rows
from ocr.pipeline import read_image
from ocr.preprocess import PreparedImage
from ocr.types import OcrResult, Row
from receipts.settings import get_receipt_settings

REQUIRED_FIELDS = ("merchant", "date", "total")
# Signals of how a field was read that the desk should know of, as reason codes.
NOTES = {("date", "year_doubt"): "date_year_doubtful",
         ("date", "year_inferred"): "date_year_inferred"}


class AutoApproveSetting(Protocol):
    auto_approve: bool | None
    auto_approve_threshold: Decimal | None


def thresholds_for(merchant: AutoApproveSetting | None) -> dict[str, float]:
    """The confidence each key field needs for auto-approval: the store's own threshold
    when ops turned it on from its samples, else the mall's."""
    if merchant is not None and merchant.auto_approve and merchant.auto_approve_threshold:
        return dict.fromkeys(REQUIRED_FIELDS, float(merchant.auto_approve_threshold))
    settings = get_receipt_settings()
    return {"merchant": settings.min_confidence_merchant, "date": settings.min_confidence_date,
            "total": settings.min_confidence_total}


def auto_approves(merchant: AutoApproveSetting) -> bool:
    """Whether confident receipts of this store may be credited without a person."""
    if merchant.auto_approve is None:
        return get_receipt_settings().auto_approve_by_default
    return merchant.auto_approve


def low_fields(confidence: dict[str, float], thresholds: dict[str, float]) -> list[str]:
    return [name for name in REQUIRED_FIELDS if confidence.get(name, 0.0) < thresholds[name]]


@dataclass
class Interpretation:
    """What the OCR rows of one receipt say: the store, the fields, how sure each is."""

    rows: list[Row]
    merchant: MerchantMatch
    extraction: Extraction

    @property
    def confidence(self) -> dict[str, float]:
        scores = {"merchant": self.merchant.confidence if self.merchant.merchant_id else 0.0}
        for name in ("date", "time", "total", "receipt_no", "transaction_id", "payment_method"):
            scores[name] = round(self.extraction.confidence(name), 3)
        return scores

    @property
    def notes(self) -> list[str]:
        """Reason codes for how fields were read (a year inferred or doubted)."""
        return [code for (name, signal), code in NOTES.items()
                if (value := self.extraction.fields.get(name)) and value.signals.get(signal)]

    @property
    def low_confidence_fields(self) -> list[str]:
        return low_fields(self.confidence, thresholds_for(None))

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

    def read(
        self, data: bytes, *, today: date | None = None,
        on_decoded: Callable[[np.ndarray], None] | None = None,
    ) -> Reading:
        """``on_decoded``: see ``ocr.pipeline.read_image``."""
        started = clock.perf_counter()
        prepared, ocr_result = read_image(data, on_decoded=on_decoded)
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


def stored_rows(rows: Sequence[Row]) -> list[dict]:
    """OCR rows as kept with a receipt or a sample: card and phone numbers masked."""
    return [{"text": mask_sensitive(row.text), "score": round(row.score, 4)} for row in rows]


@lru_cache(maxsize=1)
def default_templates() -> TemplateSet:
    return TemplateSet.from_dir(BUNDLED_DIR)


@lru_cache(maxsize=8)
def templates_for(published: template_versions.Snapshot) -> TemplateSet:
    """The bundled templates with the stores' published versions in their place."""
    if not published:
        return default_templates()
    return default_templates().replacing(
        [template_versions.parse(merchant_id, body) for merchant_id, _version, body in published]
    )


def in_force(db_session: Session) -> tuple[tuple[MerchantProfile, ...],
                                         template_versions.Snapshot]:
    """The registry and the published templates, as ``reader_for`` takes them."""
    return (tuple(merchant_service.active_profiles(db_session=db_session)),
            template_versions.snapshot(db_session))


@lru_cache(maxsize=4)
def reader_for(
    merchants: tuple[MerchantProfile, ...], published: template_versions.Snapshot = ()
) -> Reader:
    """A Reader per registry and template snapshot, so that edits to either take effect
    at once."""
    return Reader(merchants, templates_for(published))

"""Labelled samples per merchant: stored with their photo, exported as the evaluator reads
them (an images folder and ``labels.jsonl``)."""

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from core.values import text_value
from merchants import service as merchant_service
from ocr.image import sniff_format
from receipts import storage
from receipts.models import Receipt
from receipts.reading import in_force, reader_for, stored_rows
from training_data.loop.labels import normalize_date, normalize_time, normalize_total
from training_data.loop.models import SampleSource, TrainingSample

LABEL_FIELDS = ("merchant", "date", "time", "total", "receipt_no", "payment_method")


def labels_from(values: dict) -> dict[str, str]:
    """The labelled fields of ``values`` (keyed by LABEL_FIELDS), blanks left out."""
    texts = {name: text_value(values.get(name)) for name in LABEL_FIELDS}
    return {name: text for name, text in texts.items() if text is not None}


def clean_labels(raw: dict, *, where: str = "") -> dict:
    """True values as ops type them (``2026/11/20``, ``¥1,088.00``, ``14:32``) in the one
    form samples keep; 422 ``labels_invalid`` naming the field that cannot be read."""
    readers = {"date": normalize_date, "time": normalize_time, "total": normalize_total}
    clean = {}
    for name in LABEL_FIELDS:
        text = str(raw.get(name) or "").strip()
        if not text or name == "merchant":
            continue
        value = readers[name](text) if name in readers else text
        if value is None:
            raise AppError("labels_invalid", f"{where}无法识别字段 {name} 的值：{text}", status=422)
        clean[name] = value
    return labels_from(clean)


def add(
    db_session: Session, *, merchant_id: str, image_sha256: str, labels: dict, source: str,
    actor: str, read: dict | None = None, ocr_rows: list | None = None,
    receipt_id: str | None = None,
) -> TrainingSample:
    sample = TrainingSample(
        merchant_id=merchant_id, image_sha256=image_sha256, labels=labels_from(labels),
        read=labels_from(read or {}), ocr_rows=ocr_rows or [], source=source,
        receipt_id=receipt_id, created_by=actor,
    )
    db_session.add(sample)
    db_session.flush()
    return sample


def add_photo(
    db_session: Session, *, merchant_id: str, data: bytes, labels: dict, actor: str
) -> TrainingSample:
    """An ops upload: the photo is validated, stored and read once (its OCR rows are kept
    so templates can be tried on it without OCR). Empty ``labels`` leave the sample
    unlabelled until someone confirms or corrects what was read."""
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    sha256, data = storage.keep_upload(data)
    reading = reader_for(*in_force(db_session)).read(data)
    read = {name: reading.extraction.value(name) for name in LABEL_FIELDS if name != "merchant"}
    recognised = reading.merchant.merchant_id
    read["merchant"] = merchant.name if recognised == merchant_id else reading.merchant.name
    truth = {**clean_labels(labels), "merchant": merchant.name} if labels else {}
    return add(db_session, merchant_id=merchant_id, image_sha256=sha256, labels=truth,
               read=read, ocr_rows=stored_rows(reading.rows), source=SampleSource.OPS_UPLOAD,
               actor=actor)


def set_labels(db_session: Session, *, sample_id: int, labels: dict) -> TrainingSample:
    """The true values of a sample (ops typed them, or confirmed what was read)."""
    sample = get_or_raise(db_session, sample_id)
    name = merchant_service.name_of(db_session=db_session, merchant_id=sample.merchant_id)
    sample.labels = {**clean_labels(labels), "merchant": name}
    return sample


def get_or_raise(db_session: Session, sample_id: int) -> TrainingSample:
    sample = db_session.get(TrainingSample, sample_id)
    if sample is None:
        raise NotFound("sample_not_found", "找不到该样本")
    return sample


def delete(db_session: Session, sample: TrainingSample) -> None:
    """Drop a sample (a wrong or unusable photo); its photo goes too unless another sample
    or a receipt not yet purged still shows it."""
    sha256 = sample.image_sha256
    db_session.delete(sample)
    db_session.flush()
    others = select(TrainingSample.id).where(TrainingSample.image_sha256 == sha256)
    receipts = select(Receipt.id).where(Receipt.image_sha256 == sha256,
                                        Receipt.purged_at.is_(None))
    if db_session.scalar(others.limit(1)) is None and db_session.scalar(receipts.limit(1)) is None:
        storage.delete(sha256)


def labelled_counts(db_session: Session) -> dict[str, int]:
    """How many labelled samples each store has (labels only: no photos or OCR rows)."""
    counts: dict[str, int] = {}
    for merchant_id, labels in db_session.execute(
        select(TrainingSample.merchant_id, TrainingSample.labels)
    ):
        if labels:
            counts[merchant_id] = counts.get(merchant_id, 0) + 1
    return counts


def for_merchant(db_session: Session, merchant_id: str) -> list[TrainingSample]:
    query = select(TrainingSample).where(TrainingSample.merchant_id == merchant_id)
    return list(db_session.scalars(query.order_by(TrainingSample.id)))


def image_names(db_session: Session) -> set[str]:
    """Photos samples keep: the retention purge leaves them in place."""
    return set(db_session.scalars(select(TrainingSample.image_sha256)))


def _exported(db_session: Session, merchant_id: str | None) -> Iterator[tuple[str, bytes, dict]]:
    """(image file name, image bytes, labels line) of every labelled sample."""
    query = select(TrainingSample).order_by(TrainingSample.id)
    if merchant_id:
        query = query.where(TrainingSample.merchant_id == merchant_id)
    for sample in db_session.scalars(query):
        if not sample.labels:  # not yet checked by a person: no truth to export
            continue
        data = storage.get(sample.image_sha256)
        name = f"sample-{sample.id}.{(sniff_format(data) or 'bin').lower()}"
        yield name, data, {"file": name, **sample.labels, "merchant_id": sample.merchant_id,
                           "source": sample.source}


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def export(db_session: Session, out_dir: Path, *, merchant_id: str | None = None) -> int:
    """Write ``out_dir/images/<file>`` and ``out_dir/labels.jsonl``; returns the count."""
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    records = []
    for name, data, record in _exported(db_session, merchant_id):
        (images / name).write_bytes(data)
        records.append(record)
    (out_dir / "labels.jsonl").write_text(_jsonl(records), encoding="utf-8")
    return len(records)


def export_zip(db_session: Session, *, merchant_id: str | None = None) -> bytes:
    """The same as ``export``, as one zip archive (images/…, labels.jsonl)."""
    buffer = io.BytesIO()
    records = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data, record in _exported(db_session, merchant_id):
            archive.writestr(f"images/{name}", data)
            records.append(record)
        archive.writestr("labels.jsonl", _jsonl(records))
    return buffer.getvalue()

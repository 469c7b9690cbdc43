"""Ops actions on a store's samples, template and auto-approval (pages or API), each with
its audit line."""

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from accounts import service as accounts
from core.errors import AppError, NotFound
from merchants import service as merchant_service
from merchants import template_versions
from merchants.models import Merchant, TemplateVersion
from training_data.loop import samples, tuning
from training_data.loop.labels import LabelFileInvalid, load_label_lines
from training_data.loop.models import TrainingSample

MAX_PHOTOS_PER_UPLOAD = 50


def upload_samples(db_session: Session, *, merchant_id: str, photos: Sequence[tuple[str, bytes]],
                   labels_text: str | None, actor: str) -> list[TrainingSample]:
    """Photos of one store with their true values (labels.jsonl or a JSON list, as
    exported; ``file`` names the photo). A photo without a label line is stored unlabelled."""
    if not photos:
        raise AppError("photos_required", "请选择至少一张小票照片", status=422)
    if len(photos) > MAX_PHOTOS_PER_UPLOAD:
        raise AppError("too_many_photos", f"一次最多上传 {MAX_PHOTOS_PER_UPLOAD} 张照片",
                       status=422)
    by_file = _labels_by_file(labels_text)
    unknown = set(by_file) - {name for name, _ in photos}
    if unknown:
        raise AppError("labels_without_photo",
                       f"标注中的文件没有对应照片：{', '.join(sorted(unknown)[:5])}", status=422)
    created = [samples.add_photo(db_session, merchant_id=merchant_id, data=data,
                                 labels=by_file.get(name, {}), actor=actor)
               for name, data in photos]
    accounts.record(db_session, actor=actor, action="sample_upload", target_type="merchant",
                    target_id=merchant_id, after={"samples": [s.id for s in created]})
    return created


def label_sample(db_session: Session, *, merchant_id: str, sample_id: int, labels: dict,
                 actor: str) -> TrainingSample:
    """The true values of a sample; what was read, to approve it as it is."""
    sample = sample_of(db_session, merchant_id, sample_id)
    before = dict(sample.labels)
    samples.set_labels(db_session, sample_id=sample.id, labels=labels)
    accounts.record(db_session, actor=actor, action="sample_label", target_type="sample",
                    target_id=str(sample.id), before=before, after=sample.labels)
    return sample


def delete_sample(db_session: Session, *, merchant_id: str, sample_id: int, actor: str) -> None:
    sample = sample_of(db_session, merchant_id, sample_id)
    before = {"labels": sample.labels, "source": sample.source}
    samples.delete(db_session, sample)
    accounts.record(db_session, actor=actor, action="sample_delete", target_type="sample",
                    target_id=str(sample_id), before=before)


def sample_of(db_session: Session, merchant_id: str, sample_id: int) -> TrainingSample:
    sample = samples.get_or_raise(db_session, sample_id)
    if sample.merchant_id != merchant_id:
        raise NotFound("sample_not_found", "找不到该样本")
    return sample


def publish_template(db_session: Session, *, merchant_id: str, body: str, actor: str,
                     note: str | None = None) -> TemplateVersion:
    """A new version, in force for receipts read from now on; refused when one of its
    patterns times out on the store's samples."""
    tuning.check_draft_on_samples(db_session, merchant_id, body)
    row = template_versions.publish(db_session, merchant_id=merchant_id, body=body,
                                    actor=actor, note=note)
    _audit_template(db_session, actor, "template_publish", row)
    return row


def rollback_template(db_session: Session, *, merchant_id: str, to_version: int,
                      actor: str) -> TemplateVersion:
    row = template_versions.rollback(db_session, merchant_id=merchant_id,
                                     to_version=to_version, actor=actor)
    _audit_template(db_session, actor, "template_rollback", row)
    return row


def switch_auto_approve(db_session: Session, *, merchant_id: str, enabled: bool | None,
                        actor: str) -> Merchant:
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    before = auto_approve_state(merchant)
    tuning.set_auto_approve(db_session, merchant_id=merchant_id, enabled=enabled)
    accounts.record(db_session, actor=actor, action="auto_approve", target_type="merchant",
                    target_id=merchant_id, before=before, after=auto_approve_state(merchant))
    return merchant


def auto_approve_state(merchant: Merchant) -> dict:
    threshold = merchant.auto_approve_threshold
    return {"auto_approve": merchant.auto_approve,
            "threshold": float(threshold) if threshold is not None else None}


def _labels_by_file(text: str | None) -> dict[str, dict]:
    if not text or not text.strip():
        return {}
    try:
        records = (json.loads(text) if text.lstrip().startswith("[")
                   else load_label_lines(text.splitlines(), source="labels"))
    except (json.JSONDecodeError, LabelFileInvalid) as exc:
        raise AppError("labels_invalid", f"标注格式错误：{exc}", status=422) from exc
    if not all(isinstance(r, dict) and r.get("file") for r in records):
        raise AppError("labels_invalid", "每条标注都需要 file 字段（照片文件名）", status=422)
    return {str(r["file"]): r for r in records}


def _audit_template(db_session: Session, actor: str, action: str, row: TemplateVersion) -> None:
    accounts.record(db_session, actor=actor, action=action, target_type="merchant",
                    target_id=row.merchant_id, after={"version": row.version, "note": row.note})

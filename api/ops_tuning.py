"""Ops API for tuning one store's reading: labelled samples, its template (draft test,
publish, history, rollback, a proposal from the samples), accuracy and auto-approval."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from api.auth import CurrentStaff, RequireRole
from api.deps import IMAGE_CONTENT, DbSession, RowId, file_content
from api.presenters import image_response
from api.schemas import (
    AutoApproveRequest,
    RollbackRequest,
    SampleLabels,
    SampleRead,
    TemplateDraft,
    TemplatePublish,
    TemplateRead,
    TemplateVersionRead,
)
from merchants import service as merchant_service
from merchants import template_versions
from receipts import storage
from receipts.reading import auto_approves
from receipts.settings import get_receipt_settings
from training_data.loop import ops, samples, tuning
from training_data.loop.models import TrainingSample
from training_data.loop.suggest import suggest

router = APIRouter(
    prefix="/api/v1/ops/merchants/{merchant_id}",
    tags=["ops"],
    dependencies=[Depends(RequireRole("ops", "admin"))],
)


@router.post("/samples", response_model=list[SampleRead], status_code=201)
def upload_samples(
    merchant_id: str, staff: CurrentStaff, db_session: DbSession,
    photos: Annotated[list[UploadFile], File(description="receipt photos")],
    labels: Annotated[str | None, Form(description="labels.jsonl or a JSON list; 'file' "
                                                   "names the photo")] = None,
) -> list[SampleRead]:
    """Photos of one store with their true values (labels.jsonl, as exported); a photo
    without a label line is stored unlabelled, to be confirmed or corrected."""
    created = ops.upload_samples(
        db_session, merchant_id=merchant_id, actor=staff.actor, labels_text=labels,
        photos=[(photo.filename or "", photo.file.read()) for photo in photos])
    return [_sample_read(s) for s in created]


@router.get("/samples", response_model=list[SampleRead])
def list_samples(merchant_id: str, db_session: DbSession) -> list[SampleRead]:
    merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    return [_sample_read(s) for s in samples.for_merchant(db_session, merchant_id)]


@router.put("/samples/{sample_id}/labels", response_model=SampleRead)
def label_sample(merchant_id: str, sample_id: RowId, body: SampleLabels, staff: CurrentStaff,
                 db_session: DbSession) -> SampleRead:
    """The true values of a sample; send what was read to approve it as it is."""
    sample = ops.label_sample(db_session, merchant_id=merchant_id, sample_id=sample_id,
                              labels=body.model_dump(), actor=staff.actor)
    return _sample_read(sample)


@router.delete("/samples/{sample_id}", status_code=204)
def delete_sample(merchant_id: str, sample_id: RowId, staff: CurrentStaff,
                  db_session: DbSession) -> Response:
    ops.delete_sample(db_session, merchant_id=merchant_id, sample_id=sample_id,
                      actor=staff.actor)
    return Response(status_code=204)


@router.get("/samples/export", responses=file_content("application/zip"))
def export_samples(merchant_id: str, db_session: DbSession) -> Response:
    """Images + labels.jsonl, the evaluator's input format, as one zip."""
    merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    return Response(
        samples.export_zip(db_session, merchant_id=merchant_id), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="samples-{merchant_id}.zip"'},
    )


@router.get("/template", response_model=TemplateRead)
def get_template(merchant_id: str, db_session: DbSession) -> TemplateRead:
    merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    version, body = template_versions.current_body(db_session, merchant_id)
    history = [TemplateVersionRead.model_validate(row)
               for row in template_versions.history(db_session, merchant_id)]
    return TemplateRead(version=version, body=body, history=history)


@router.post("/template/test")
def test_template(merchant_id: str, body: TemplateDraft, db_session: DbSession) -> dict:
    """The draft against the template in force on every labelled sample of the store."""
    merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    return tuning.compare(db_session, merchant_id, body.body)


@router.post("/template", response_model=TemplateVersionRead, status_code=201)
def publish_template(merchant_id: str, body: TemplatePublish, staff: CurrentStaff,
                     db_session: DbSession) -> TemplateVersionRead:
    """A new version, in force for receipts read from now on."""
    row = ops.publish_template(db_session, merchant_id=merchant_id, body=body.body,
                               actor=staff.actor, note=body.note)
    return TemplateVersionRead.model_validate(row)


@router.post("/template/rollback", response_model=TemplateVersionRead, status_code=201)
def rollback_template(merchant_id: str, body: RollbackRequest, staff: CurrentStaff,
                      db_session: DbSession) -> TemplateVersionRead:
    """Publish an earlier version's text again (history is kept)."""
    row = ops.rollback_template(db_session, merchant_id=merchant_id, to_version=body.version,
                                actor=staff.actor)
    return TemplateVersionRead.model_validate(row)


@router.get("/template/suggestion")
def suggest_template(merchant_id: str, db_session: DbSession) -> dict:
    """A template proposed from the store's labelled samples, with the evidence."""
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    proposal = suggest(tuning.labelled_samples(db_session, merchant_id),
                       merchant_name=merchant.name, english_name=merchant.english_name)
    return {"body": proposal.body, "evidence": proposal.evidence}


@router.get("/accuracy")
def accuracy(merchant_id: str, db_session: DbSession) -> dict:
    """Accuracy per field of the template in force on the store's samples, the threshold
    they support and the store's auto-approval setting."""
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    result = tuning.run(db_session, merchant_id)
    return {
        **tuning.brief(result),
        "min_samples": get_receipt_settings().min_samples_for_auto_approve,
        "auto_approve": {**ops.auto_approve_state(merchant),
                         "effective": auto_approves(merchant)},
        "samples": [{"file": o.file, "expected": o.expected, "got": o.got, "wrong": o.wrong,
                     "confidence": o.confidence, "error": o.error} for o in result.outcomes],
    }


@router.put("/auto-approve")
def set_auto_approve(merchant_id: str, body: AutoApproveRequest, staff: CurrentStaff,
                     db_session: DbSession) -> dict:
    """On (needs enough samples and a supported threshold), off, or the mall's default."""
    merchant = ops.switch_auto_approve(db_session, merchant_id=merchant_id,
                                       enabled=body.enabled, actor=staff.actor)
    return {**ops.auto_approve_state(merchant), "effective": auto_approves(merchant)}


def _sample_read(sample: TrainingSample) -> SampleRead:
    return SampleRead(id=sample.id, merchant_id=sample.merchant_id, source=sample.source,
                      labels=sample.labels, read=sample.read, ocr_rows=sample.ocr_rows,
                      image_url=f"/api/v1/ops/merchants/{sample.merchant_id}/samples/"
                                f"{sample.id}/image", created_by=sample.created_by,
                      created_at=sample.created_at)


@router.get("/samples/{sample_id}/image", responses=IMAGE_CONTENT)
def sample_image(merchant_id: str, sample_id: RowId, db_session: DbSession) -> Response:
    sample = ops.sample_of(db_session, merchant_id, sample_id)
    return image_response(storage.get(sample.image_sha256))

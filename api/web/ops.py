"""Ops pages (zh-CN): the merchant registry, and per store the tuning loop: samples with
their true values, the template beside what it reads, test, publish, roll back, accuracy
and the auto-approve switch."""

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.web.common import OpsPage, actor_of, check_csrf, error_flash, render
from core.errors import AppError
from merchants import ops as registry
from merchants import service as merchant_service
from merchants import template_versions
from merchants.schemas import MerchantIn, MerchantPatch
from merchants.types import PAYMENT_METHODS
from receipts import storage
from receipts.reading import auto_approves
from receipts.settings import get_receipt_settings
from training_data.loop import ops, samples, tuning
from training_data.loop.suggest import suggest

router = APIRouter(prefix="/ops", include_in_schema=False)

MERCHANT_FIELDS = ("id", "name", "english_name", "aliases", "shop_no", "floor", "category",
                   "payment_merchant_ids", "points_rate")
LIST_FIELDS = ("aliases", "payment_merchant_ids")


# --- registry ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def merchants(request: Request, found: OpsPage, db_session: DbSession,
              q: str | None = None) -> Response:
    return _registry_page(request, found, db_session, q=q)


@router.post("/merchants/import", response_class=HTMLResponse)
def import_registry(request: Request, found: OpsPage, db_session: DbSession,
                    file: Annotated[UploadFile, File()],
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(found, csrf_token)
    raw = file.file.read()
    try:
        items = (merchant_service.parse_csv(raw) if (file.filename or "").lower().endswith(".csv")
                 else merchant_service.parse_registry(raw))
        created, updated = registry.import_all(db_session, items=items, actor=actor_of(found))
    except AppError as exc:
        db_session.rollback()
        return _registry_page(request, found, db_session, status=exc.status,
                              flash=error_flash(exc))
    return _registry_page(request, found, db_session, status=201, flash={
        "kind": "ok", "text": f"导入完成：新增 {created} 家，更新 {updated} 家"})


@router.get("/merchants/export.{fmt}")
def export_registry(fmt: str, found: OpsPage, db_session: DbSession) -> Response:
    rows = merchant_service.get_all(db_session=db_session)
    if fmt == "csv":
        return Response(merchant_service.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="merchants.csv"'})
    if fmt == "json":
        body = json.dumps([merchant_service.snapshot(m) for m in rows], ensure_ascii=False,
                          indent=1)
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="merchants.json"'})
    raise AppError("export_format_unsupported", "只能导出 csv 或 json", status=404)


@router.get("/merchants/new", response_class=HTMLResponse)
def new_merchant(request: Request, found: OpsPage) -> Response:
    return render(request, "ops_merchant.html", found, merchant=None, values={})


@router.post("/merchants/new", response_class=HTMLResponse)
async def create_merchant(request: Request, found: OpsPage, db_session: DbSession) -> Response:
    form = await request.form()
    check_csrf(found, str(form.get("csrf_token", "")))
    values = _merchant_values(form)
    try:
        item = _validated(MerchantIn, values)
        registry.create(db_session, merchant=item, actor=actor_of(found))
    except AppError as exc:
        db_session.rollback()
        return render(request, "ops_merchant.html", found, status=exc.status, merchant=None,
                      values=values, flash=error_flash(exc))
    return RedirectResponse("/ops/?done=merchant_saved", status_code=303)


@router.get("/merchants/{merchant_id}", response_class=HTMLResponse)
def edit_merchant(request: Request, merchant_id: str, found: OpsPage,
                  db_session: DbSession) -> Response:
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    return render(request, "ops_merchant.html", found, merchant=merchant,
                  values=_text_values(merchant_service.snapshot(merchant)))


@router.post("/merchants/{merchant_id}", response_class=HTMLResponse)
async def update_merchant(request: Request, merchant_id: str, found: OpsPage,
                          db_session: DbSession) -> Response:
    form = await request.form()
    check_csrf(found, str(form.get("csrf_token", "")))
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    values = _merchant_values(form)
    changes = {k: v for k, v in values.items() if k != "id"} | {"active": "active" in form}
    try:
        patch = _validated(MerchantPatch, changes)
        registry.update(db_session, merchant_id=merchant_id, actor=actor_of(found),
                        changes=patch.model_dump(exclude_unset=True))
    except AppError as exc:
        db_session.rollback()
        return render(request, "ops_merchant.html", found, status=exc.status,
                      merchant=merchant, values=values, flash=error_flash(exc))
    return RedirectResponse("/ops/?done=merchant_saved", status_code=303)


def _registry_page(request: Request, found, db_session: Session, *, q: str | None = None,
                   status: int = 200, **context) -> Response:
    rows = merchant_service.search(db_session=db_session, text=q)
    counts = samples.labelled_counts(db_session)
    versions = {merchant_id: version for merchant_id, version, _body
                in template_versions.snapshot(db_session)}
    return render(request, "ops_merchants.html", found, status=status, merchants=rows, q=q or "",
                  sample_counts=counts, versions=versions, auto_approves=auto_approves,
                  **context)


def _merchant_values(form) -> dict:
    return {name: str(form.get(name, "")).strip() for name in MERCHANT_FIELDS}


def _validated(model, values: dict):
    """The form's text as the registry's shape; list fields are one entry per line or '|'."""
    data = {k: v for k, v in values.items() if v != "" or k in LIST_FIELDS}
    for name in LIST_FIELDS:
        if name in data and isinstance(data[name], str):
            data[name] = [p for p in data[name].replace("|", "\n").splitlines() if p.strip()]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AppError("merchant_invalid", f"字段 {where} 有误：{first['msg']}",
                       status=422) from exc


def _text_values(snapshot: dict) -> dict:
    return {k: "\n".join(v) if isinstance(v, list) else ("" if v is None else str(v))
            for k, v in snapshot.items()}


# --- tuning -----------------------------------------------------------------------------


@router.get("/merchants/{merchant_id}/tuning", response_class=HTMLResponse)
def tuning_page(request: Request, merchant_id: str, found: OpsPage,
                db_session: DbSession) -> Response:
    return _tuning(request, found, db_session, merchant_id)


@router.post("/merchants/{merchant_id}/samples", response_class=HTMLResponse)
def upload_samples(
    request: Request, merchant_id: str, found: OpsPage, db_session: DbSession,
    photos: Annotated[list[UploadFile], File()], csrf_token: Annotated[str, Form()] = "",
    labels: Annotated[str, Form(max_length=500_000)] = "",
    labels_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_csrf(found, csrf_token)
    text = labels_file.file.read().decode("utf-8-sig") if labels_file and labels_file.filename \
        else labels
    try:
        created = ops.upload_samples(
            db_session, merchant_id=merchant_id, actor=actor_of(found), labels_text=text,
            photos=[(p.filename or "", p.file.read()) for p in photos if p.filename])
    except AppError as exc:
        db_session.rollback()
        return _tuning(request, found, db_session, merchant_id, status=exc.status,
                       flash=error_flash(exc))
    labelled = sum(1 for s in created if s.labels)
    return _tuning(request, found, db_session, merchant_id, status=201, flash={
        "kind": "ok", "text": f"已上传 {len(created)} 张样本（{labelled} 张带标注）"})


@router.post("/merchants/{merchant_id}/template/test", response_class=HTMLResponse)
def test_template(
    request: Request, merchant_id: str, found: OpsPage, db_session: DbSession,
    body: Annotated[str, Form(max_length=100_000)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    try:
        compared = tuning.compare(db_session, merchant_id, body)
    except AppError as exc:
        return _tuning(request, found, db_session, merchant_id, status=exc.status, draft=body,
                       flash=error_flash(exc))
    return _tuning(request, found, db_session, merchant_id, draft=body, compared=compared)


@router.post("/merchants/{merchant_id}/template/suggest", response_class=HTMLResponse)
def suggest_template(
    request: Request, merchant_id: str, found: OpsPage, db_session: DbSession,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    proposal = suggest(tuning.labelled_samples(db_session, merchant_id),
                       merchant_name=merchant.name, english_name=merchant.english_name)
    return _tuning(request, found, db_session, merchant_id, draft=proposal.body,
                   evidence=proposal.evidence)


@router.post("/merchants/{merchant_id}/template", response_class=HTMLResponse)
def publish_template(
    request: Request, merchant_id: str, found: OpsPage, db_session: DbSession,
    body: Annotated[str, Form(max_length=100_000)] = "", csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(found, csrf_token)
    try:
        row = ops.publish_template(db_session, merchant_id=merchant_id, body=body,
                                   actor=actor_of(found), note=note.strip() or None)
    except AppError as exc:
        db_session.rollback()
        return _tuning(request, found, db_session, merchant_id, status=exc.status, draft=body,
                       flash=error_flash(exc))
    return _back_to_tuning(merchant_id, f"published:{row.version}")


@router.post("/merchants/{merchant_id}/template/rollback")
def rollback_template(
    merchant_id: str, found: OpsPage, db_session: DbSession,
    version: Annotated[int, Form(ge=0)], csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    row = ops.rollback_template(db_session, merchant_id=merchant_id, to_version=version,
                                actor=actor_of(found))
    return _back_to_tuning(merchant_id, f"rolled_back:{row.version}")


@router.post("/merchants/{merchant_id}/auto-approve", response_class=HTMLResponse)
def switch_auto_approve(
    request: Request, merchant_id: str, found: OpsPage, db_session: DbSession,
    setting: Annotated[str, Form(pattern="^(on|off|default)$")],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    enabled = {"on": True, "off": False, "default": None}[setting]
    try:
        ops.switch_auto_approve(db_session, merchant_id=merchant_id, enabled=enabled,
                                actor=actor_of(found))
    except AppError as exc:
        db_session.rollback()
        return _tuning(request, found, db_session, merchant_id, status=exc.status,
                       flash=error_flash(exc))
    return _back_to_tuning(merchant_id, "auto_approve_saved")


@router.get("/merchants/{merchant_id}/samples/{sample_id}", response_class=HTMLResponse)
def sample_page(request: Request, merchant_id: str, sample_id: int, found: OpsPage,
                db_session: DbSession) -> Response:
    return _sample(request, found, db_session, merchant_id, sample_id)


@router.post("/merchants/{merchant_id}/samples/{sample_id}", response_class=HTMLResponse)
def label_sample(
    request: Request, merchant_id: str, sample_id: int, found: OpsPage, db_session: DbSession,
    csrf_token: Annotated[str, Form()] = "", date: Annotated[str, Form()] = "",
    time: Annotated[str, Form()] = "", total: Annotated[str, Form()] = "",
    receipt_no: Annotated[str, Form()] = "", payment_method: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    labels = {"date": date, "time": time, "total": total, "receipt_no": receipt_no,
              "payment_method": payment_method if payment_method in PAYMENT_METHODS else ""}
    try:
        ops.label_sample(db_session, merchant_id=merchant_id, sample_id=sample_id, labels=labels,
                         actor=actor_of(found))
    except AppError as exc:
        db_session.rollback()
        return _sample(request, found, db_session, merchant_id, sample_id, status=exc.status,
                       flash=error_flash(exc))
    return _back_to_tuning(merchant_id, "sample_labelled")


@router.post("/merchants/{merchant_id}/samples/{sample_id}/delete")
def delete_sample(merchant_id: str, sample_id: int, found: OpsPage, db_session: DbSession,
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(found, csrf_token)
    ops.delete_sample(db_session, merchant_id=merchant_id, sample_id=sample_id,
                      actor=actor_of(found))
    return _back_to_tuning(merchant_id, "sample_deleted")


@router.get("/merchants/{merchant_id}/samples/{sample_id}/image")
def sample_image(merchant_id: str, sample_id: int, found: OpsPage,
                 db_session: DbSession) -> Response:
    sample = ops.sample_of(db_session, merchant_id, sample_id)
    return Response(storage.get(sample.image_sha256), media_type="image/*",
                    headers={"Cache-Control": "private, max-age=3600"})


def _back_to_tuning(merchant_id: str, done: str) -> Response:
    return RedirectResponse(f"/ops/merchants/{merchant_id}/tuning?{urlencode({'done': done})}",
                            status_code=303)


def _tuning(request: Request, found, db_session: Session, merchant_id: str, *,
            status: int = 200, draft: str | None = None, **context) -> Response:
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    version, body = template_versions.current_body(db_session, merchant_id)
    result = tuning.run(db_session, merchant_id)
    return render(
        request, "ops_tuning.html", found, status=status, merchant=merchant,
        version=version, body=draft if draft is not None else body,
        history=template_versions.history(db_session, merchant_id),
        outcomes={o.file: o for o in result.outcomes},
        summary=tuning.brief(result), samples=samples.for_merchant(db_session, merchant_id),
        min_samples=get_receipt_settings().min_samples_for_auto_approve,
        effective=auto_approves(merchant), **context,
    )


def _sample(request: Request, found, db_session: Session, merchant_id: str, sample_id: int,
            status: int = 200, **context) -> Response:
    sample = ops.sample_of(db_session, merchant_id, sample_id)
    return render(request, "ops_sample.html", found, status=status, sample=sample,
                  merchant=merchant_service.get_or_raise(db_session=db_session,
                                                         merchant_id=merchant_id),
                  outcome=tuning.outcome(db_session, sample), payment_methods=PAYMENT_METHODS,
                  values={**sample.read, **sample.labels}, **context)

"""Ops API: the merchant registry (list, edit, disable, import and export as JSON or CSV).

Every change leaves one audit line with the stores before and after."""

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from api.auth import CurrentStaff, RequireRole
from api.deps import DbSession, file_content
from core.errors import AppError
from merchants import ops
from merchants import service as merchants
from merchants.schemas import MerchantIn, MerchantPatch, MerchantRead

router = APIRouter(
    prefix="/api/v1/ops/merchants",
    tags=["ops"],
    dependencies=[Depends(RequireRole("ops", "admin"))],
)

_IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": MerchantIn.model_json_schema()}},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}},
    }},
}}}


@router.get("", response_model=list[MerchantRead])
def list_merchants(
    db_session: DbSession, active: bool | None = None, q: str | None = None
) -> list[MerchantRead]:
    """Stores by id; ``q`` matches id, name, English name or shop number, ignoring case."""
    rows = merchants.search(db_session=db_session, active=active, text=q)
    return [MerchantRead.model_validate(m) for m in rows]


@router.get("/export", responses=file_content("application/json", "text/csv"))
def export(db_session: DbSession, format: Literal["json", "csv"] = "json") -> Response:
    """The whole registry in a form ``/import`` takes back."""
    rows = merchants.get_all(db_session=db_session)
    if format == "csv":
        return Response(
            merchants.to_csv(rows), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="merchants.csv"'},
        )
    return JSONResponse([merchants.snapshot(m) for m in rows])


@router.get("/{merchant_id}", response_model=MerchantRead)
def get_merchant(merchant_id: str, db_session: DbSession) -> MerchantRead:
    return MerchantRead.model_validate(
        merchants.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    )


@router.post("", response_model=MerchantRead, status_code=201)
def create_merchant(body: MerchantIn, staff: CurrentStaff, db_session: DbSession) -> MerchantRead:
    """Add a store; 409 ``merchant_exists`` when the id is taken."""
    row = ops.create(db_session, merchant=body, actor=staff.actor)
    return MerchantRead.model_validate(merchants.snapshot(row))


@router.patch("/{merchant_id}", response_model=MerchantRead)
def update_merchant(
    merchant_id: str, body: MerchantPatch, staff: CurrentStaff, db_session: DbSession
) -> MerchantRead:
    """Change the fields given; ``{"active": false}`` disables the store."""
    row = ops.update(db_session, merchant_id=merchant_id,
                     changes=body.model_dump(exclude_unset=True), actor=staff.actor)
    return MerchantRead.model_validate(merchants.snapshot(row))


@router.post("/import", openapi_extra=_IMPORT_BODY)
async def import_registry(request: Request, staff: CurrentStaff, db_session: DbSession) -> dict:
    """A JSON array of stores, or a ``.csv`` file in the form field ``file``. New ids are
    added, known ones replaced; one bad entry and nothing is written."""
    items = await _registry_of(request)
    created, updated = ops.import_all(db_session, items=items, actor=staff.actor)
    return {"created": created, "updated": updated}


async def _registry_of(request: Request) -> list[MerchantIn]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return merchants.parse_registry(await request.body())
    if content_type.startswith("multipart/form-data"):
        async with request.form() as form:
            upload = form.get("file")
            if isinstance(upload, UploadFile) and (upload.filename or "").lower().endswith(".csv"):
                return merchants.parse_csv(await upload.read())
    raise AppError("import_format_unsupported",
                   "请提交商户 JSON 数组，或在表单字段 file 中上传 .csv 文件", status=415)


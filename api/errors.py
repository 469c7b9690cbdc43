"""Every error leaves as ``{"error": {"code", "message"}}`` with a 4xx status; never a 500
for bad input."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import AppError

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


async def app_error(_request: Request, exc: AppError) -> JSONResponse:
    headers = getattr(exc, "headers", None)  # e.g. Retry-After of a 429
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status,
                        headers=headers)


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = [
        {"field": ".".join(str(p) for p in err["loc"][1:]), "problem": err["msg"]}
        for err in exc.errors()
    ]
    names = "、".join(f["field"] for f in fields) or "请求"
    return JSONResponse(
        error_body("invalid_request", f"请求参数有误：{names}", fields=fields), status_code=422
    )


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "系统繁忙，请稍后再试"), status_code=500)


class FieldProblem(BaseModel):
    field: str
    problem: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: a machine-readable code and a message a person understands."""

    error: ErrorDetail


ERROR_STATUSES = {400: "请求有误", 401: "未登录或凭证无效", 403: "无权操作", 404: "不存在",
                  409: "与当前状态冲突", 413: "内容过大", 415: "不支持的文件类型",
                  422: "参数有误", 429: "请求过于频繁", 503: "服务暂不可用"}


# Passed to include_router for every API router (app.py): the OpenAPI schema then says what
# clients get on errors (FastAPI would document 422 as its own validation shape).
ERROR_RESPONSES = {status: {"model": ErrorResponse, "description": text}
                   for status, text in ERROR_STATUSES.items()}


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

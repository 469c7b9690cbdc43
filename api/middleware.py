"""Edge guards every request passes: a body size limit enforced before the body is read,
CORS locked to the configured origins, and security headers on every response."""

import json

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from core.settings import get_settings

# Ops upload sample photos in batches; everyone else sends one photo at most.
BATCH_UPLOAD_PREFIXES = ("/api/v1/ops/", "/ops/")

# No inline script or style anywhere on our pages: scripts and styles come from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), microphone=(), camera=(self)"),
)
# FastAPI's own documentation pages load Swagger UI's inline bootstrap script.
DOCS_PATHS = ("/docs", "/redoc")


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions raised while it parses a
    body through unchanged (any other error there becomes a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, too_large_text(limit))


def too_large_text(limit: int) -> str:
    from ocr.errors import readable_size

    return f"上传内容超过 {readable_size(limit)}，请压缩后重新上传"


class BodySizeLimit:
    """413 before the body is read when Content-Length says too much; a body streamed
    without a length is counted as it arrives and cut off at the limit."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        received, started = 0, False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send, limit)


def body_limit(path: str) -> int:
    settings = get_settings()
    if path.startswith(BATCH_UPLOAD_PREFIXES):
        return settings.max_batch_request_bytes
    return settings.max_request_bytes


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body("payload_too_large", too_large_text(limit)),
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *SECURITY_HEADERS,
    ]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """nosniff, referrer policy and framing on every response; the CSP on everything but
    the OpenAPI documentation pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(SECURITY_HEADERS)
        if not scope["path"].startswith(DOCS_PATHS):
            extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    """Outermost first: headers on every answer (413s included), then the size limit,
    then CORS (only the configured origins; none by default: the mini-program and our
    pages are same-origin or not browsers)."""
    origins = get_settings().cors_origins
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"], max_age=600,
        )
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)

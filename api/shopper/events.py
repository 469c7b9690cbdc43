"""Live status of one receipt as server-sent events.

The stream reads the receipt from the database every ``RP_SHOPPER_EVENTS_POLL_SECONDS``
with a short session each time (no connection is held between reads), so it sees a
result written by any process: the in-process worker or `python app.py worker`.

Events: ``status`` (the receipt as GET /receipts/{id} returns it) whenever it changes,
then ``end`` when it is decided, and the stream closes. ``needs_review`` also ends the
stream: the desk may take hours, and the shopper sees the outcome in their receipts
later. After ``RP_SHOPPER_EVENTS_MAX_SECONDS`` the stream sends ``timeout`` and closes;
a client asks for a new ticket to watch again. A comment line every 15 s keeps proxies
from closing a quiet stream.

EventSource cannot send an Authorization header: it passes a ticket from
POST /receipts/{id}/events-ticket in the query string instead (one receipt, one member,
valid for a minute). Other clients may send their bearer token as usual.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from itsdangerous import BadSignature, SignatureExpired

from api.auth import Unauthorized, bearer, current_member_session
from api.presenters import shopper_receipt
from api.shopper.receipts import ticket_serializer
from api.shopper.settings import get_shopper_settings
from core.db import session_scope
from core.errors import NotFound
from points import ledger
from receipts.models import Receipt, Status

router = APIRouter(prefix="/api/v1", tags=["shopper"])

WATCH_UNTIL = (*Status.FINAL, Status.NEEDS_REVIEW)
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000


@router.get("/receipts/{receipt_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def receipt_events(
    receipt_id: str, request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ticket: str | None = Query(default=None, max_length=300),
) -> StreamingResponse:
    """The receipt's status as it changes, until it is decided (text/event-stream)."""
    member_id = await run_in_threadpool(_member_of, receipt_id, ticket, credentials)
    first = await run_in_threadpool(snapshot, receipt_id, member_id)
    return StreamingResponse(
        _stream(request, receipt_id, member_id, first), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _member_of(receipt_id: str, ticket: str | None,
               credentials: HTTPAuthorizationCredentials | None) -> int:
    if ticket is None:
        with session_scope() as db_session:
            return current_member_session(credentials, db_session).member_id
    seconds = get_shopper_settings().stream_ticket_seconds
    try:
        claims = ticket_serializer().loads(ticket, max_age=seconds)
    except SignatureExpired as exc:
        raise Unauthorized("ticket_expired", "实时状态凭证已过期，请刷新") from exc
    except BadSignature as exc:
        raise Unauthorized("ticket_invalid", "实时状态凭证无效") from exc
    if claims.get("r") != receipt_id:
        raise Unauthorized("ticket_invalid", "实时状态凭证无效")
    return int(claims["m"])


def snapshot(receipt_id: str, member_id: int) -> dict:
    """The receipt as its owner sees it, read in a short session of its own."""
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        if receipt is None or receipt.member_id != member_id:
            raise NotFound("receipt_not_found", "找不到这张小票")
        earning = ledger.earning_of(db_session, receipt_id)
        return shopper_receipt(db_session, receipt, earning).model_dump(mode="json")


async def _stream(request: Request, receipt_id: str, member_id: int, current: dict
                  ) -> AsyncIterator[str]:
    settings = get_shopper_settings()
    deadline = time.monotonic() + settings.events_max_seconds
    yield f"retry: {RETRY_MS}\n\n"
    sent, quiet_since = None, time.monotonic()
    while True:
        if current != sent:
            yield _event("status", current)
            sent, quiet_since = current, time.monotonic()
        if current["status"] in WATCH_UNTIL:
            yield _event("end", {"status": current["status"]})
            return
        if time.monotonic() > deadline:
            yield _event("timeout", {"status": current["status"]})
            return
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(settings.events_poll_seconds)
        if await request.is_disconnected():
            return
        try:
            current = await run_in_threadpool(snapshot, receipt_id, member_id)
        except NotFound:  # merged into another member meanwhile
            yield _event("end", {"status": "gone"})
            return


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

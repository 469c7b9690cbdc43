"""The desk page for a member's personal data (PIPL): find the member, download what is
held about them, erase it at their request. Both actions are written to the audit log."""

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts import service as accounts
from api.deps import DbSession
from api.web.common import DeskPage, actor_of, check_csrf, render, search_member
from core.errors import AppError
from points import service as points_service
from receipts import personal_data

router = APIRouter(prefix="/desk/members", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def members_page(request: Request, found: DeskPage, db_session: DbSession,
                 q: str | None = None) -> Response:
    member, context, status = search_member(db_session, q)
    summary = personal_data.export(db_session, member) if member else None
    return render(request, "members.html", found, status=status, q=q or "", member=member,
                  summary=summary, **context)


@router.get("/{code}/export.json")
def export_member(code: str, found: DeskPage, db_session: DbSession) -> Response:
    member = points_service.find(db_session=db_session, code=code)
    accounts.record(db_session, actor=actor_of(found), action="member_data_exported",
                    target_type="member", target_id=str(member.id))
    body = json.dumps(personal_data.export(db_session, member), ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f"attachment; filename=member-{quote(member.code)}.json"})


@router.post("/{code}/erase")
def erase_member(
    code: str, found: DeskPage, db_session: DbSession,
    confirm_code: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    if confirm_code.strip() != code:
        raise AppError("erase_not_confirmed", "请输入该会员的会员码以确认删除", status=422)
    member = points_service.find(db_session=db_session, code=code)
    done = personal_data.erase(db_session, member, actor=actor_of(found))
    accounts.record(db_session, actor=actor_of(found), action="member_erased",
                    target_type="member", target_id=str(member.id), after=done.as_dict())
    return RedirectResponse(f"/desk/members?q={quote(member.code)}&done=member_erased",
                            status_code=303)

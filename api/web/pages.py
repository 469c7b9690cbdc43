"""Server-rendered pages for service-desk staff (zh-CN): login and the dashboard.

Pages authenticate with a session cookie (HttpOnly, SameSite=Strict) and every form
that changes something carries the session's CSRF token; the JSON API keeps bearer
tokens, so a cookie alone never reaches it.
"""

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from accounts import service as accounts
from accounts.models import StaffAccount, StaffSession
from api.deps import DbSession
from core.clock import local_today
from core.settings import get_settings
from receipts.board import board

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
SESSION_COOKIE = "rp_staff"

router = APIRouter(prefix="/desk", include_in_schema=False)


class LoginRequired(Exception):
    def __init__(self, path: str):
        self.path = path


class PageForbidden(Exception):
    def __init__(self, message: str):
        self.message = message


Found = tuple[StaffAccount, StaffSession]


def page_session(request: Request, db_session: DbSession) -> Found:
    found = accounts.session_of(db_session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired(request.url.path)
    return found


class PageRole:
    """Page guard: the logged-in staff member must hold one of ``roles``."""

    def __init__(self, *roles: str):
        self.roles = roles

    def __call__(self, found: Annotated[Found, Depends(page_session)]) -> Found:
        if found[0].role not in self.roles:
            raise PageForbidden("当前账号没有访问此页面的权限")
        return found


DeskPage = Annotated[Found, Depends(PageRole("desk", "admin"))]
AnyStaffPage = Annotated[Found, Depends(page_session)]


def render(request: Request, name: str, found: Found | None, status: int = 200, **context):
    staff, live = found or (None, None)
    return TEMPLATES.TemplateResponse(
        request, name, {"staff": staff, "csrf_token": live.csrf_token if live else "",
                        "role_names": accounts.ROLE_NAMES, "flash": None, **context},
        status_code=status,
    )


def check_csrf(found: Found, token: str) -> None:
    if not secrets.compare_digest(found[1].csrf_token, token or ""):
        raise PageForbidden("页面已过期，请刷新后重试")


def _safe_next(path: str | None) -> str:
    return path if path and path.startswith("/desk/") and "//" not in path else "/desk/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=_safe_next(next), username="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, db_session: DbSession, username: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/desk/",
) -> Response:
    try:
        done = accounts.log_in(db_session, username=username, password=password)
    except accounts.LoginFailed as exc:
        db_session.commit()  # keep the failed-attempt count
        return render(request, "login.html", None, status=401, next=_safe_next(next),
                      username=username, flash={"kind": "error", "text": exc.message})
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, done.token, max_age=accounts.SESSION_HOURS * 3600, httponly=True,
        samesite="strict", secure=get_settings().secure_cookies, path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, found: AnyStaffPage, db_session: DbSession,
           csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(found, csrf_token)
    accounts.log_out(db_session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/desk/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, found: DeskPage, db_session: DbSession) -> Response:
    return render(request, "dashboard.html", found, board=board(db_session, day=local_today()))


def install(app: FastAPI) -> None:
    """Pages, their static files (served by the app itself: no CDN) and error pages."""

    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/desk/login?next={quote(exc.path)}", status_code=303)

    async def forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", None, status=403, message=exc.message)

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(PageForbidden, forbidden)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)

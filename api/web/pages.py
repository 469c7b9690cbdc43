"""Server-rendered pages for staff (zh-CN): login, logout, the desk dashboard, and the
installation of every page router with its static files and error pages."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from accounts import service as accounts
from api import errors as api_errors
from api.deps import DbSession
from api.web import admin, counter, login_throttle, members, ops, payments, review
from api.web.common import (
    HERE,
    SESSION_COOKIE,
    AnyStaffPage,
    DeskPage,
    LoginRequired,
    PageForbidden,
    check_csrf,
    render,
)
from core.clock import local_today
from core.errors import AppError
from core.settings import get_settings
from receipts.board import board

router = APIRouter(prefix="/desk", include_in_schema=False)


PAGE_PREFIXES = ("/desk/", "/ops/")


def _safe_next(path: str | None) -> str:
    ok = path and path.startswith(PAGE_PREFIXES) and "//" not in path
    return path if ok else "/desk/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=_safe_next(next), username="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, db_session: DbSession, username: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/desk/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    if wait := login_throttle.seconds_blocked(client):
        page = render(request, "login.html", None, status=429, next=_safe_next(next),
                      username=username, flash={"kind": "error",
                                                "text": f"登录失败次数过多，请 {wait} 秒后再试"})
        page.headers["Retry-After"] = str(wait)
        return page
    try:
        done = accounts.log_in(db_session, username=username, password=password)
    except accounts.LoginFailed as exc:
        db_session.commit()  # keep the failed-attempt count
        login_throttle.count_failure(client)
        return render(request, "login.html", None, status=401, next=_safe_next(next),
                      username=username, flash={"kind": "error", "text": exc.message})
    target = _safe_next(next)
    if target == "/desk/" and done.staff.role == "ops":
        target = "/ops/"  # ops staff work on the registry, not the desk queue
    response = RedirectResponse(target, status_code=303)
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
    """Pages, their static files (served by the app itself: no CDN) and error pages; an
    error on a page is shown as a page, the API keeps its JSON errors."""

    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/desk/login?next={quote(exc.path)}", status_code=303)

    async def forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", None, status=403, message=exc.message)

    async def app_error(request: Request, exc: AppError) -> Response:
        if not _is_page(request):
            return await api_errors.app_error(request, exc)
        return render(request, "error.html", None, status=exc.status, message=exc.message,
                      title="无法完成")

    async def invalid_form(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return await api_errors.validation_error(request, exc)
        names = "、".join(str(err["loc"][-1]) for err in exc.errors())
        return render(request, "error.html", None, status=422, title="无法完成",
                      message=f"表单填写有误：{names}")

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(PageForbidden, forbidden)
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, invalid_form)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for pages in (router, review.router, counter.router, members.router, admin.router,
                  ops.router, payments.router):
        app.include_router(pages)


def _is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES)

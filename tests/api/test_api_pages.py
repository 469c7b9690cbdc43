"""Staff pages over HTTP (no browser): login, session cookie, CSRF, roles, dashboard."""

import re

import pytest
from fakes import photo_bytes, reading
from staff_pages import csrf_token

from accounts import service as accounts
from core.db import session_scope
from receipts import flow, records, review
from receipts.models import Status


@pytest.fixture
def staff(db_url):
    with session_scope() as db_session:
        for username, role in (("li", "desk"), ("zhao", "ops")):
            accounts.create_staff(db_session, username=username, display_name=username.upper(),
                                  role=role, password="correct-horse")


def _log_in(client, username="li", password="correct-horse", next_path="/desk/"):
    return client.post("/desk/login", data={"username": username, "password": password,
                                            "next": next_path}, follow_redirects=False)


def test_pages_need_a_login_and_come_back_after_it(client, staff):
    response = client.get("/desk/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303, "/desk/login?next=/desk/")
    login = client.get(response.headers["location"])
    assert "服务台登录" in login.text and "/static/htmx.min.js" in login.text
    done = _log_in(client)
    assert (done.status_code, done.headers["location"]) == (303, "/desk/")
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_pages_wrong_password_is_a_clear_401_without_a_cookie(client, staff):
    response = _log_in(client, password="wrong-horse")
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    assert "set-cookie" not in response.headers


def test_pages_never_redirect_off_the_desk_after_login(client, staff):
    for evil in ("https://evil.example/", "//evil.example/desk/", "/api/v1/ops/rules"):
        assert _log_in(client, next_path=evil).headers["location"] == "/desk/"


def test_pages_dashboard_counts_the_queue_and_todays_decisions(client, staff, member, reads):
    ids = []
    for seed in (1, 2, 3):
        reads(reading(conf=0.5, receipt_no=f"Q-{seed}"))
        with session_scope() as db_session:
            ids.append(flow.submit_photo(db_session=db_session, member_id=member,
                                         data=photo_bytes(seed), actor="test").id)
        flow.process(ids[-1])
    with session_scope() as db_session:
        review.reject_review(db_session=db_session, receipt_id=ids[0], actor="staff:li",
                           reason="unreadable")
    _log_in(client)
    page = client.get("/desk/").text
    assert re.search(r'id="queue-length">2<', page)
    row = re.search(r"<tr><td>li</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["0", "1", "0", "0", "1"]
    with session_scope() as db_session:
        assert records.get_or_raise(db_session=db_session, receipt_id=ids[1]).status == (
            Status.NEEDS_REVIEW)


def test_pages_ops_accounts_cannot_open_desk_pages(client, staff):
    _log_in(client, username="zhao")
    response = client.get("/desk/")
    assert response.status_code == 403 and "没有访问此页面的权限" in response.text


def test_pages_logout_needs_the_csrf_token_and_ends_the_session(client, staff):
    _log_in(client)
    stolen = client.cookies.get("rp_staff")
    token = csrf_token(client.get("/desk/").text)
    assert client.post("/desk/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/desk/").status_code == 200
    out = client.post("/desk/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("rp_staff", stolen)  # the old cookie is dead on the server too
    assert client.get("/desk/", follow_redirects=False).status_code == 303


def test_pages_session_cookie_does_not_open_the_json_api(client, staff):
    _log_in(client)
    response = client.get("/api/v1/desk/review")
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth_required"

"""A desk member logs in through the real browser and sees the dashboard; an ops member
is turned away from it."""

from accounts import service as accounts
from core.db import session_scope


def _accounts():
    with session_scope() as db_session:
        for username, name, role in (("li", "李娜", "desk"), ("zhao", "赵敏", "ops")):
            accounts.create_staff(db_session, username=username, display_name=name, role=role,
                                  password="correct-horse")


def _log_in(page, base: str, username: str, password: str = "correct-horse") -> None:
    page.goto(f"{base}/desk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_web_desk_logs_in_sees_dashboard_and_logs_out(live_server, page, screenshot):
    _accounts()
    page.goto(f"{live_server}/desk/")
    assert page.url.endswith("/desk/login?next=/desk/")
    screenshot("login")
    _log_in(page, live_server, "li", "wrong-horse")
    assert page.locator(".flash.error").inner_text() == "用户名或密码错误"
    _log_in(page, live_server, "li")
    assert page.url == f"{live_server}/desk/"
    assert page.locator("#queue-length").inner_text() == "0"
    assert "李娜（服务台）" in page.locator("nav").inner_text()
    screenshot("dashboard")
    page.click("nav button[type=submit]")
    assert "/desk/login" in page.url
    page.goto(f"{live_server}/desk/")
    assert "/desk/login" in page.url


def test_web_ops_account_lands_on_the_registry_and_cannot_open_the_desk(
    live_server, page, screenshot
):
    _accounts()
    _log_in(page, live_server, "zhao")
    assert page.url == f"{live_server}/ops/"
    assert "审核队列" not in page.locator("nav").inner_text()
    for path in ("/desk/", "/desk/review", "/desk/manual"):
        assert page.goto(f"{live_server}{path}").status == 403
        assert "没有访问此页面的权限" in page.locator(".flash.error").inner_text()
    screenshot("forbidden")


def test_web_desk_account_cannot_open_the_admin_staff_page(live_server, page, screenshot):
    _accounts()
    _log_in(page, live_server, "li")
    assert "员工账号" not in page.locator("nav").inner_text()
    response = page.goto(f"{live_server}/desk/staff")
    assert response.status == 403
    assert "没有访问此页面的权限" in page.locator(".flash.error").inner_text()

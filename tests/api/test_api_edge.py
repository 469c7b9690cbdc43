"""Edge guards: body size limit before reading, CORS to configured origins only, security
headers and a CSP our pages satisfy (no inline script, style or handler), and the staff
login rate limit."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.middleware import CONTENT_SECURITY_POLICY

WEB = Path(__file__).resolve().parents[2] / "api" / "web"


@pytest.fixture
def app_with(db_url, monkeypatch):
    from database import reset_caches

    def build(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_caches()
        from app import create_app

        return TestClient(create_app())

    return build


def test_pages_and_api_carry_the_security_headers(client):
    for path in ("/desk/login", "/api/v1/receipts/x"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]


def test_templates_and_static_files_hold_no_inline_script_style_or_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|"
                        r"javascript:|hx-on", re.I)
    offenders = [f"{path.name}: {match.group(0)}"
                 for path in sorted((WEB / "templates").glob("*.html"))
                 for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_declared_oversized_body_is_refused_unread(app_with):
    with app_with(RP_MAX_REQUEST_BYTES="1000") as client:
        response = client.post("/api/v1/receipts", content=b"x" * 1001,
                               headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(app_with):
    from api.auth import issue_staff_token

    def chunks():
        for _ in range(50):
            yield b"y" * 100

    auth = {"Authorization": f"Bearer {issue_staff_token('li', 'ops')}",
            "content-type": "application/json"}
    with app_with(RP_MAX_REQUEST_BYTES="1000", RP_MAX_BATCH_REQUEST_BYTES="1000") as client:
        response = client.post("/api/v1/ops/merchants", content=chunks(), headers=auth)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_cors_answers_only_the_configured_origin(app_with):
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "authorization"}
    with app_with(RP_CORS_ORIGINS='["https://m.mall.example"]') as client:
        allowed = client.options("/api/v1/receipts",
                                 headers={"origin": "https://m.mall.example", **preflight})
        other = client.options("/api/v1/receipts",
                               headers={"origin": "https://evil.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://m.mall.example"
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_without_configured_origins(client):
    response = client.get("/healthz", headers={"origin": "https://m.mall.example"})
    assert "access-control-allow-origin" not in response.headers


def test_staff_login_failures_are_rate_limited_per_address(app_with):
    from accounts import service as accounts
    from core.db import session_scope

    with session_scope() as db_session:
        for name in ("wang", "zhao"):
            accounts.create_staff(db_session, username=name, display_name=name, role="desk",
                                  password="correct-horse")
    with app_with(RP_STAFF_LOGIN_FAILURES="3/minute") as client:
        # spread over two accounts, so the per-account lock-out is not what stops it
        codes = [client.post("/desk/login", data={"username": name, "password": "wrong"},
                             follow_redirects=False).status_code
                 for name in ("wang", "zhao", "wang")]
        blocked = client.post("/desk/login", data={"username": "zhao",
                                                   "password": "correct-horse"},
                              follow_redirects=False)
    assert codes == [401, 401, 401]
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 61
    assert "登录失败次数过多" in blocked.text


def test_the_running_app_masks_its_log_handlers(client):
    import logging

    from core.privacy import PhoneMaskingFilter

    handlers = logging.getLogger().handlers
    assert handlers and all(
        any(isinstance(f, PhoneMaskingFilter) for f in h.filters) for h in handlers)

"""The WeChat client against the fake: the answers it turns into members' identities, and
WeChat's refusals it turns into clear errors. Most calls go in-process (the fake as an
ASGI app behind a test client); one goes over real HTTP."""

import logging

import pytest
from fastapi.testclient import TestClient

from accounts.settings import WeChatSettings
from accounts.wechat.client import HttpWeChat, WeChatError
from accounts.wechat.fake import create_fake_app
from accounts.wechat.fake.state import FakeWeChatState


@pytest.fixture
def fake():
    return FakeWeChatState(appid="wx-app", secret="s3cret")


def _client(fake: FakeWeChatState, **overrides) -> HttpWeChat:
    settings = WeChatSettings(**{"appid": "wx-app", "secret": "s3cret",
                                 "base_url": "http://fake", **overrides})
    return HttpWeChat(settings, http=TestClient(create_fake_app(fake), base_url="http://fake"))


def _refusal(call) -> WeChatError:
    with pytest.raises(WeChatError) as refused:
        call()
    return refused.value


def test_wechat_code_becomes_openid_and_unionid_without_session_key(fake, caplog):
    code = fake.issue_code("o-alice", unionid="u-alice")
    with caplog.at_level(logging.DEBUG):
        user = _client(fake).code_to_session(code)
    assert (user.openid, user.unionid) == ("o-alice", "u-alice")
    assert not hasattr(user, "session_key")
    assert "fake-session-key" not in caplog.text


@pytest.mark.parametrize(("setup", "status", "code"), [
    (lambda fake: "never-issued", 400, "wechat_code_invalid"),
    (lambda fake: fake.issue_code("o-risky"), 403, "wechat_user_blocked"),
])
def test_wechat_refusals_become_clear_4xx(fake, setup, status, code):
    fake.risky_openids.add("o-risky")
    error = _refusal(lambda: _client(fake).code_to_session(setup(fake)))
    assert (error.status, error.code) == (status, code) and error.message


def test_wechat_code_used_twice_is_refused_the_second_time(fake):
    code, client = fake.issue_code("o-bob"), _client(fake)
    client.code_to_session(code)
    error = _refusal(lambda: client.code_to_session(code))
    assert (error.status, error.code) == (400, "wechat_code_used")


def test_wechat_minute_quota_is_a_429_with_retry_after(fake):
    fake.login_quota_per_minute = 1
    client = _client(fake)
    client.code_to_session(fake.issue_code("o-1"))
    error = _refusal(lambda: client.code_to_session(fake.issue_code("o-2")))
    assert (error.status, error.code) == (429, "wechat_rate_limited")
    assert error.headers == {"Retry-After": "60"}


def test_wechat_busy_and_wrong_secret_are_not_the_shoppers_fault(fake):
    fake.busy = True
    busy = _refusal(lambda: _client(fake).code_to_session(fake.issue_code("o-1")))
    fake.busy = False
    misconfigured = _refusal(lambda: _client(fake, secret="wrong").code_to_session(
        fake.issue_code("o-1")))
    assert (busy.status, busy.code) == (503, "wechat_busy")
    assert (misconfigured.status, misconfigured.code) == (502, "wechat_error")


def test_wechat_unreachable_is_a_503():
    settings = WeChatSettings(base_url="http://127.0.0.1:9", timeout_seconds=1)
    error = _refusal(lambda: HttpWeChat(settings).code_to_session("x"))
    assert (error.status, error.code) == (503, "wechat_unavailable")


def test_wechat_phone_number_checks_the_code_belongs_to_the_user(fake):
    client = _client(fake)
    phone = client.phone_number(fake.issue_code("o-ann", phone="13912345678"), openid="o-ann")
    assert (phone.number, phone.country_code) == ("13912345678", "86")
    stolen = fake.issue_code("o-ann", phone="13912345678")
    error = _refusal(lambda: client.phone_number(stolen, openid="o-mallory"))
    assert error.code == "wechat_code_invalid"


def test_wechat_access_token_is_cached_and_fetched_again_when_refused(fake):
    client = _client(fake)
    client.phone_number(fake.issue_code("o-1", phone="13900000001"))
    first = client._token[0]
    client.phone_number(fake.issue_code("o-1", phone="13900000001"))
    assert client._token[0] == first  # cached, not fetched per call
    fake.expire_access_tokens()  # e.g. another process fetched a newer one
    phone = client.phone_number(fake.issue_code("o-1", phone="13900000001"))
    assert phone.number == "13900000001" and client._token[0] != first


def test_wechat_over_real_http(fake_wechat):
    from accounts.settings import get_wechat_settings
    from accounts.wechat.client import get_wechat

    user = get_wechat().code_to_session(fake_wechat.issue_code("o-http"))
    assert user.openid == "o-http"
    assert get_wechat_settings().api_url.startswith("http://127.0.0.1:")

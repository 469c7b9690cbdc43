"""The calls to WeChat's server API that member sign-in needs, behind one small interface.

``HttpWeChat`` talks to WeChat itself or to the fake (accounts/wechat/fake) by base URL
only. The session_key WeChat returns with an openid is dropped as soon as the answer
is read: nothing here needs it (phone numbers come by code), so it is never stored,
logged or returned.
"""

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import httpx

from accounts.settings import WeChatSettings, get_wechat_settings
from core.errors import AppError

log = logging.getLogger(__name__)

# errcode → (status, our code, message); see WeChat's jscode2session / getuserphonenumber.
ERRORS = {
    40029: (400, "wechat_code_invalid", "微信登录凭证无效，请重新进入小程序"),
    40163: (400, "wechat_code_used", "微信登录凭证已使用，请重新登录"),
    45011: (429, "wechat_rate_limited", "登录请求太频繁，请稍后再试"),
    40226: (403, "wechat_user_blocked", "该微信账号存在风险，暂时无法登录"),
    -1: (503, "wechat_busy", "微信系统繁忙，请稍后再试"),
}
ACCESS_TOKEN_INVALID = {40001, 42001, 40014}  # invalid, expired, malformed access_token
TOKEN_MARGIN_SECONDS = 300


class WeChatError(AppError):
    """WeChat refused or could not answer; ``status`` is what our client should see."""

    def __init__(self, code: str, message: str, *, status: int, retry_after: int | None = None):
        super().__init__(code, message, status=status)
        self.headers = {"Retry-After": str(retry_after)} if retry_after else None


@dataclass(frozen=True)
class WeChatUser:
    openid: str
    unionid: str | None = None


@dataclass(frozen=True)
class PhoneNumber:
    number: str  # without the country code
    country_code: str


class MiniProgramApi(Protocol):
    def code_to_session(self, code: str) -> WeChatUser: ...

    def phone_number(self, code: str, *, openid: str | None = None) -> PhoneNumber: ...


class HttpWeChat:
    """WeChat's HTTPS API (or the fake at another base URL). Thread-safe: one instance
    serves the whole process and caches the access token until shortly before expiry."""

    def __init__(self, settings: WeChatSettings, http: httpx.Client | None = None):
        self._settings = settings
        self._http = http or httpx.Client(base_url=settings.api_url,
                                          timeout=settings.timeout_seconds)
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def code_to_session(self, code: str) -> WeChatUser:
        answer = self._call("GET", "/sns/jscode2session", params={
            "appid": self._settings.appid, "secret": self._settings.secret.get_secret_value(),
            "js_code": code, "grant_type": "authorization_code",
        })
        if not answer.get("openid"):
            raise _unexpected("jscode2session without openid")
        return WeChatUser(openid=answer["openid"], unionid=answer.get("unionid") or None)

    def phone_number(self, code: str, *, openid: str | None = None) -> PhoneNumber:
        body = {"code": code, **({"openid": openid} if openid else {})}
        for attempt in (1, 2):
            answer = self._raw("POST", "/wxa/business/getuserphonenumber",
                               params={"access_token": self._access_token()}, json=body)
            if answer.get("errcode") in ACCESS_TOKEN_INVALID and attempt == 1:
                self._forget_token()  # another process fetched a newer one: fetch again
                continue
            _raise_for(answer)
            info = answer.get("phone_info") or {}
            if not info.get("purePhoneNumber"):
                raise _unexpected("getuserphonenumber without phone_info")
            return PhoneNumber(number=str(info["purePhoneNumber"]),
                               country_code=str(info.get("countryCode") or "86"))
        raise _unexpected("access token refused twice")

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            answer = self._call("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self._settings.appid,
                "secret": self._settings.secret.get_secret_value(),
            })
            lifetime = int(answer.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS
            self._token = (answer["access_token"], time.monotonic() + max(lifetime, 60))
            return self._token[0]

    def _forget_token(self) -> None:
        with self._token_lock:
            self._token = None

    def _call(self, method: str, path: str, **kwargs) -> dict:
        answer = self._raw(method, path, **kwargs)
        _raise_for(answer)
        return answer

    def _raw(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("WeChat %s unreachable: %s", path, type(exc).__name__)
            raise WeChatError("wechat_unavailable", "暂时无法连接微信，请稍后再试",
                              status=503) from exc
        if response.status_code >= 500:
            log.warning("WeChat %s answered HTTP %s", path, response.status_code)
            raise WeChatError("wechat_unavailable", "暂时无法连接微信，请稍后再试", status=503)
        try:
            return response.json()
        except ValueError as exc:
            raise _unexpected(f"{path} answered no JSON") from exc


def _raise_for(answer: dict) -> None:
    errcode = answer.get("errcode") or 0
    if errcode == 0:
        return
    log.info("WeChat refused: errcode %s", errcode)
    status, code, message = ERRORS.get(
        errcode, (502, "wechat_error", f"微信返回错误（{errcode}），请稍后再试"))
    raise WeChatError(code, message, status=status, retry_after=60 if status == 429 else None)


def _unexpected(what: str) -> WeChatError:
    log.warning("unexpected WeChat answer: %s", what)
    return WeChatError("wechat_error", "微信返回了无法识别的结果，请稍后再试", status=502)


@lru_cache(maxsize=1)
def get_wechat() -> MiniProgramApi:
    return HttpWeChat(get_wechat_settings())

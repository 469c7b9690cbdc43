"""What the fake WeChat remembers, shared by its routers (one lock, in memory)."""

import secrets
import threading
import time
from dataclasses import dataclass, field

CODE_SECONDS = 300  # WeChat: a login or phone code is good for five minutes, once


@dataclass
class Issued:
    openid: str
    unionid: str | None
    phone: str | None
    expires: float


@dataclass
class FakeWeChatState:
    appid: str = "wx-dev-appid"
    secret: str = "dev-secret"
    # Calls of jscode2session allowed per minute before 45011 (WeChat's API minute-quota).
    login_quota_per_minute: int = 600
    token_seconds: int = 7200
    risky_openids: set[str] = field(default_factory=set)  # answered with 40226
    busy: bool = False  # every call answers -1 (system busy)
    _codes: dict[str, Issued] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _tokens: dict[str, float] = field(default_factory=dict)
    _calls: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, openid: str, *, unionid: str | None = None,
                   phone: str | None = None) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = Issued(openid, unionid, phone, time.monotonic() + CODE_SECONDS)
        return code

    def redeem_code(self, code: str, *, phone: bool) -> Issued | int:
        """The code's holder, or WeChat's errcode: 40163 used, 40029 unknown/expired."""
        with self._lock:
            if code in self._used:
                return 40163
            issued = self._codes.pop(code, None)
            if issued is None or issued.expires < time.monotonic() or (
                    (issued.phone is not None) != phone):
                return 40029
            self._used.add(code)
            return issued

    def within_login_quota(self) -> bool:
        now = time.monotonic()
        with self._lock:
            self._calls = [t for t in self._calls if t > now - 60]
            if len(self._calls) >= self.login_quota_per_minute:
                return False
            self._calls.append(now)
            return True

    def new_access_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_seconds
        return token

    def access_token_valid(self, token: str) -> bool:
        with self._lock:
            return self._tokens.get(token, 0) > time.monotonic()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

"""Settings of member sign-in: the WeChat mini-program's credentials and session lifetimes."""

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

WECHAT_API = "https://api.weixin.qq.com"


class WeChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_WECHAT_", env_file=".env", extra="ignore")

    # The mini-program's AppID and AppSecret (微信公众平台 → 开发管理 → 开发设置).
    appid: str = "wx-dev-appid"
    secret: SecretStr = SecretStr("dev-secret")
    # Where WeChat's server API answers; empty: WeChat itself, or the fake when ``fake``.
    base_url: str | None = None
    timeout_seconds: float = 5.0
    # Development only: `python app.py serve` starts the fake WeChat (accounts/wechat/fake)
    # on ``fake_port`` and the phone page offers a test sign-in through it.
    fake: bool = False
    fake_port: int = 8001

    @property
    def api_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"http://127.0.0.1:{self.fake_port}" if self.fake else WECHAT_API


class MemberSessionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_MEMBER_", env_file=".env", extra="ignore")

    # An access token is good for this long; the client then refreshes it.
    access_minutes: int = 120
    # A refresh token (rotated at each use) is good for this long: a member who opens the
    # app less often signs in again (silently, through wx.login).
    refresh_days: int = 30
    # `python app.py token member CODE` (local use): its access token lasts this long.
    cli_token_days: int = 30


@lru_cache
def get_wechat_settings() -> WeChatSettings:
    return WeChatSettings()


@lru_cache
def get_member_session_settings() -> MemberSessionSettings:
    return MemberSessionSettings()

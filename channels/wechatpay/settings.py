"""Settings of the WeChat Pay 智慧商圈 channel (environment, prefix RP_WECHATPAY_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PRODUCTION_API = "https://api.mch.weixin.qq.com"


class WechatPaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_WECHATPAY_", env_file=".env",
                                      extra="ignore")

    # Off by default: the notification endpoint answers 404 until the mall configures it.
    enabled: bool = False
    # Demo mode (make run): test keys generated under RP_DATA_DIR/wechatpay-demo/, the fake
    # WeChat Pay mounted at /_fake/wechatpay receives the points syncs. Implies enabled.
    demo: bool = False
    # The mall's own merchant number (商圈商户号), the one that signs points syncs.
    mchid: str = ""
    # The mall's mini-program: a payment's openid is a member's only under this AppID.
    appid: str = ""
    # Set only when a service provider (服务商) manages the district for the mall.
    sub_mchid: str = ""
    apiv3_key: SecretStr = SecretStr("")
    # Platform certificates or WeChat Pay public keys (PEM files) by their serial / key id,
    # as JSON: {"PUB_KEY_ID_0114...": "/etc/rp/wechatpay_pub.pem"}. Several may be in force
    # while WeChat Pay rotates them.
    platform_keys: dict[str, Path] = {}
    merchant_private_key: Path | None = None
    merchant_serial: str = ""
    api_base_url: str = PRODUCTION_API
    # A notification's signature timestamp may be this far from now, either way.
    timestamp_tolerance_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    # A first payment of an openid nobody signed in with yet creates its member.
    create_members: bool = True
    # Points syncs: how many a sender takes at once, how long it holds them, retries.
    sync_batch: int = 20
    sync_lease_seconds: int = 120
    sync_backoff_seconds: int = 15
    sync_max_backoff_seconds: int = 3600
    sync_timeout_seconds: float = 10.0
    # Run a sender thread inside the API process (the embedded default); turn off where
    # workers or cron run `python app.py channels wechat-pay send-syncs`.
    sync_in_process: bool = True
    sync_poll_seconds: float = 30.0
    # Where `simulate` posts its notifications, and (demo) where the fake is mounted.
    service_url: str = "http://127.0.0.1:8000"

    @property
    def active(self) -> bool:
        return self.enabled or self.demo

    @property
    def sync_base_url(self) -> str:
        """Demo mode sends points syncs to the fake mounted in the service itself, unless
        another address was configured."""
        if self.demo and self.api_base_url == PRODUCTION_API:
            return self.service_url.rstrip("/") + "/_fake/wechatpay"
        return self.api_base_url.rstrip("/")


@lru_cache
def get_wechatpay_settings() -> WechatPaySettings:
    return WechatPaySettings()

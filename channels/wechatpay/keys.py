"""The keys the service holds: WeChat Pay's platform public keys by serial (to verify what
WeChat Pay sends), the APIv3 key (to decrypt resources) and the merchant's private key
(to sign points syncs). Configured from files, or in demo mode the test keys of the fake.

Test keys are generated on the fly, never committed: a key pair standing for WeChat Pay's
platform and one standing for the mall, plus a random APIv3 key. Demo mode keeps them
under ``RP_DATA_DIR/wechatpay-demo/`` so that the service and the simulator share them.
"""

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from channels.wechatpay import crypto
from channels.wechatpay.settings import WechatPaySettings, get_wechatpay_settings
from core.errors import AppError
from core.settings import get_settings

TEST_PLATFORM_SERIAL = "TEST_ONLY_PUB_KEY_ID_FAKE_WECHATPAY"
TEST_MERCHANT_SERIAL = "TEST0ONLY0MERCHANT0SERIAL0FAKE"
DEMO_MCHID = "1900000001"
DEMO_APPID = "wxtest0demo0mall"
_DEMO_README = """Test keys of receipt-points' fake WeChat Pay, generated on this machine for the
demo (python app.py serve with RP_WECHATPAY_DEMO=true). They are not WeChat Pay keys
and sign nothing real. Delete this folder to have new ones generated.
"""


@dataclass(frozen=True)
class KeyRing:
    apiv3_key: bytes
    platform_keys: Mapping[str, rsa.RSAPublicKey]
    merchant_key: rsa.RSAPrivateKey | None
    merchant_serial: str
    mchid: str


@dataclass(frozen=True)
class FakeKeys:
    """Both sides' keys for the fake WeChat Pay and the service talking to it."""

    platform_private: rsa.RSAPrivateKey
    merchant_private: rsa.RSAPrivateKey
    apiv3_key: bytes
    platform_serial: str = TEST_PLATFORM_SERIAL
    merchant_serial: str = TEST_MERCHANT_SERIAL

    @classmethod
    def generate(cls) -> "FakeKeys":
        return cls(crypto.new_private_key(), crypto.new_private_key(),
                   secrets.token_hex(16).encode())

    def keyring(self, mchid: str = DEMO_MCHID) -> KeyRing:
        """The service's side: WeChat Pay's public key, the merchant's private key."""
        return KeyRing(self.apiv3_key, {self.platform_serial: self.platform_private.public_key()},
                       self.merchant_private, self.merchant_serial, mchid)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.txt").write_text(_DEMO_README, encoding="utf-8")
        (folder / "TEST-ONLY-platform-private.pem").write_bytes(
            crypto.private_pem(self.platform_private))
        (folder / "TEST-ONLY-merchant-private.pem").write_bytes(
            crypto.private_pem(self.merchant_private))
        (folder / "TEST-ONLY-apiv3.key").write_bytes(self.apiv3_key)

    @classmethod
    def load(cls, folder: Path) -> "FakeKeys":
        return cls(
            crypto.load_private_key((folder / "TEST-ONLY-platform-private.pem").read_bytes()),
            crypto.load_private_key((folder / "TEST-ONLY-merchant-private.pem").read_bytes()),
            (folder / "TEST-ONLY-apiv3.key").read_bytes(),
        )


def demo_keys(data_dir: Path | None = None) -> FakeKeys:
    """The demo's test keys, generated the first time (atomically: a second process that
    raced to generate them uses the first one's)."""
    folder = (data_dir or get_settings().data_dir) / "wechatpay-demo"
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        draft = Path(tempfile.mkdtemp(prefix=".wechatpay-demo-", dir=folder.parent))
        FakeKeys.generate().save(draft)
        try:
            os.rename(draft, folder)
        except OSError:  # another process was first
            for path in draft.iterdir():
                path.unlink()
            draft.rmdir()
    return FakeKeys.load(folder)


def keyring_from(settings: WechatPaySettings) -> KeyRing:
    if settings.demo:
        return demo_keys().keyring(settings.mchid or DEMO_MCHID)
    apiv3_key = settings.apiv3_key.get_secret_value().encode()
    if len(apiv3_key) != 32:
        raise _misconfigured("RP_WECHATPAY_APIV3_KEY 必须是 32 个字符的 APIv3 密钥")
    if not settings.platform_keys:
        raise _misconfigured("RP_WECHATPAY_PLATFORM_KEYS 未配置微信支付平台证书或公钥")
    platform = {serial: _read(path, crypto.load_public_key)
                for serial, path in settings.platform_keys.items()}
    merchant = (_read(settings.merchant_private_key, crypto.load_private_key)
                if settings.merchant_private_key else None)
    return KeyRing(apiv3_key, platform, merchant, settings.merchant_serial, settings.mchid)


@lru_cache
def get_keyring() -> KeyRing:
    return keyring_from(get_wechatpay_settings())


def _read(path: Path, load):
    try:
        return load(path.read_bytes())
    except (OSError, crypto.CryptoError) as exc:
        raise _misconfigured(f"无法读取密钥文件 {path}：{exc}") from exc


def _misconfigured(message: str) -> AppError:
    return AppError("wechatpay_misconfigured", message, status=503)

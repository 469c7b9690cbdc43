"""The WeChat Pay channel configured as a mall would (key files, APIv3 key, merchant key),
with test keys generated for the run and the fake WeChat Pay holding the other halves."""

import json

import pytest
from fastapi.testclient import TestClient
from wechatpay_setup import APPID, MALL_MCHID, OPENID, WECHAT_API

from channels.wechatpay import crypto
from channels.wechatpay.fake import FakeWechatPay
from channels.wechatpay.keys import FakeKeys


@pytest.fixture(scope="session")
def fake_keys() -> FakeKeys:
    return FakeKeys.generate()


@pytest.fixture
def wechatpay_env(monkeypatch, tmp_path, fake_keys, db_url):
    """RP_WECHATPAY_* as a mall sets them: the platform public key and the merchant private
    key in files, the APIv3 key; the in-process sender off (tests send themselves)."""
    from database import reset_caches

    platform = tmp_path / "wechatpay_platform_public.pem"
    platform.write_bytes(crypto.public_pem(fake_keys.platform_private.public_key()))
    merchant = tmp_path / "apiclient_key.pem"
    merchant.write_bytes(crypto.private_pem(fake_keys.merchant_private))
    env = {
        "ENABLED": "true", "MCHID": MALL_MCHID, "APPID": APPID,
        "APIV3_KEY": fake_keys.apiv3_key.decode(),
        "PLATFORM_KEYS": json.dumps({fake_keys.platform_serial: str(platform)}),
        "MERCHANT_PRIVATE_KEY": str(merchant), "MERCHANT_SERIAL": fake_keys.merchant_serial,
        "SYNC_IN_PROCESS": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"RP_WECHATPAY_{name}", value)
    reset_caches()
    return env


@pytest.fixture
def fake(fake_keys) -> FakeWechatPay:
    return FakeWechatPay(fake_keys, mchid=MALL_MCHID, appid=APPID)


@pytest.fixture
def sync_client(wechatpay_env, fake):
    """The service's real points-sync client, talking to the fake over ASGI."""
    from channels.wechatpay.client import WechatPayClient
    from channels.wechatpay.keys import get_keyring

    with TestClient(fake.app, base_url=WECHAT_API) as http:
        yield WechatPayClient(get_keyring(), WECHAT_API, http=http)


@pytest.fixture
def client(wechatpay_env, demo_mall):
    from app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def notify(client, fake):
    """``notify(body, **header_overrides)``: POST a notification signed by the fake."""

    def post(body: bytes, **overrides):
        headers = fake.signed_headers(body) | overrides
        return client.post("/api/v1/channels/wechat-pay/notify", content=body, headers=headers)

    return post


@pytest.fixture
def shopper(db_url) -> int:
    """A member who signed in to the mall's mini-program (openid bound)."""
    from core.db import session_scope
    from points import service as points_service

    with session_scope() as db_session:
        member = points_service.get_or_create_by_code(db_session=db_session, code="M200")
        member.openid = OPENID
        return member.id

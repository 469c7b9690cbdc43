"""Configuration: a misconfigured channel stops the start saying what is wrong; demo mode
generates its test keys once and shares them between processes."""

import pytest
from fastapi.testclient import TestClient

from channels.wechatpay import crypto
from channels.wechatpay.fake import FakeWechatPay
from channels.wechatpay.keys import demo_keys
from core.errors import AppError


@pytest.mark.parametrize("name, value, says", [
    ("APIV3_KEY", "too-short", "APIV3_KEY"),
    ("PLATFORM_KEYS", '{"PUB_KEY_ID_X": "/nonexistent/pub.pem"}', "/nonexistent/pub.pem"),
    ("PLATFORM_KEYS", "{}", "PLATFORM_KEYS"),
    ("MERCHANT_SERIAL", "", "MERCHANT_SERIAL"),
])
def test_a_misconfigured_channel_stops_the_start(wechatpay_env, monkeypatch, name, value, says):
    from database import reset_caches

    from app import create_app

    monkeypatch.setenv(f"RP_WECHATPAY_{name}", value)
    reset_caches()
    with pytest.raises(AppError) as caught:
        with TestClient(create_app()):
            pass
    assert caught.value.code == "wechatpay_misconfigured" and says in caught.value.message


def test_demo_keys_are_made_once_and_marked_as_test_keys(tmp_path):
    first, again = demo_keys(tmp_path), demo_keys(tmp_path)
    assert again.apiv3_key == first.apiv3_key and len(first.apiv3_key) == 32
    assert crypto.public_pem(again.platform_private.public_key()) == \
        crypto.public_pem(first.platform_private.public_key())
    files = sorted(p.name for p in (tmp_path / "wechatpay-demo").iterdir())
    assert files == ["README.txt", "TEST-ONLY-apiv3.key", "TEST-ONLY-merchant-private.pem",
                     "TEST-ONLY-platform-private.pem"]
    fake = FakeWechatPay(first)
    body = b'{"id": "1"}'
    headers = fake.signed_headers(body)
    message = crypto.signed_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"],
                                    body)
    public = again.keyring().platform_keys[headers["Wechatpay-Serial"]]
    assert crypto.verify(public, message, headers["Wechatpay-Signature"])

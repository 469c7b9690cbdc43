"""Reading WeChat Pay notifications: the signature over timestamp\\nnonce\\nbody\\n, the
serial, the 5-minute window, the AEAD_AES_256_GCM resource, and every hostile variant."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from wechatpay_setup import APPID, MALL_MCHID

from channels.wechatpay import crypto, notification
from channels.wechatpay.fake import FakeWechatPay
from channels.wechatpay.keys import FakeKeys

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def keyring(fake_keys):
    return fake_keys.keyring(MALL_MCHID)


@pytest.fixture
def wechat(fake_keys):
    return FakeWechatPay(fake_keys, mchid=MALL_MCHID, appid=APPID, clock=NOW.timestamp)


def _payment(wechat, **overrides) -> bytes:
    fields = dict(mchid="1900000101", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", amount_fen=12800,
                  shop_number="L1-101", transaction_id="4200000001202612060000000001",
                  time_end=datetime(2026, 12, 6, 17, 58, 3, tzinfo=UTC))
    return wechat.payment(**fields | overrides)


def _read(keyring, headers, body, *, now=NOW):
    return notification.read(headers, body, keyring, now=now, tolerance_seconds=300,
                             max_bytes=64 * 1024)


def _rejected(keyring, headers, body, **kwargs) -> notification.Rejected:
    with pytest.raises(notification.Rejected) as caught:
        _read(keyring, headers, body, **kwargs)
    assert 400 <= caught.value.status < 500
    return caught.value


def test_a_signed_payment_reads_with_every_field(keyring, wechat):
    body = _payment(wechat)
    read = _read(keyring, wechat.signed_headers(body), body)
    assert read.event_type == notification.PAYMENT_EVENT
    payment = read.payload
    assert (payment.mchid, payment.shop_number, payment.appid, payment.amount,
            payment.transaction_id) == ("1900000101", "L1-101", APPID, 12800,
                                        "4200000001202612060000000001")
    assert payment.time_end == datetime(2026, 12, 6, 17, 58, 3, tzinfo=UTC)
    assert read.id == json.loads(body)["id"]


def test_a_refund_reads(keyring, wechat):
    body = wechat.refund(mchid="1900000101", openid="o1", transaction_id="42", pay_amount_fen=900,
                         refund_amount_fen=300, refund_id="50001")
    refund = _read(keyring, wechat.signed_headers(body), body).payload
    assert isinstance(refund, notification.MallRefund)
    assert (refund.refund_id, refund.pay_amount, refund.refund_amount) == ("50001", 900, 300)


def test_the_window_is_five_minutes_either_way(keyring, wechat):
    body = _payment(wechat)
    stamp = int(NOW.timestamp())
    for offset in (-300, 300):
        _read(keyring, wechat.signed_headers(body, timestamp=stamp + offset), body)
    for offset in (-301, 301, -86400):
        refused = _rejected(keyring, wechat.signed_headers(body, timestamp=stamp + offset), body)
        assert refused.code == "timestamp_out_of_range"


def test_a_replay_after_five_minutes_is_refused(keyring, wechat):
    body = _payment(wechat)
    headers = wechat.signed_headers(body)
    _read(keyring, headers, body)
    later = NOW + timedelta(minutes=5, seconds=1)
    assert _rejected(keyring, headers, body, now=later).code == "timestamp_out_of_range"


def test_a_signature_by_another_key_is_refused(keyring, wechat):
    body = _payment(wechat)
    impostor = FakeWechatPay(FakeKeys.generate(), clock=NOW.timestamp)
    headers = impostor.signed_headers(body)  # same serial name, another private key
    assert _rejected(keyring, headers, body).code == "signature_invalid"


def test_an_unknown_serial_is_refused(keyring, wechat):
    body = _payment(wechat)
    headers = wechat.signed_headers(body, serial="PUB_KEY_ID_0000000000000000000000000000")
    assert _rejected(keyring, headers, body).code == "serial_unknown"


def test_a_body_altered_after_signing_is_refused(keyring, wechat):
    body = _payment(wechat)
    headers = wechat.signed_headers(body)
    altered = body.replace(b'"event_type": "MALL_TRANSACTION.SUCCESS"',
                           b'"event_type": "MALL_TRANSACTION.SUCCESS" ')
    assert altered != body
    assert _rejected(keyring, headers, altered).code == "signature_invalid"


def test_wechat_pay_signature_probes_fail(keyring, wechat):
    body = _payment(wechat)
    headers = wechat.signed_headers(body) | {"Wechatpay-Signature": "WECHATPAY/SIGNTEST/abc=="}
    assert _rejected(keyring, headers, body).code == "signature_invalid"


def test_missing_headers_and_foreign_schemes_are_refused(keyring, wechat):
    body = _payment(wechat)
    headers = wechat.signed_headers(body)
    for name in notification.SIGNATURE_HEADERS:
        partial = {k: v for k, v in headers.items() if k != name}
        assert _rejected(keyring, partial, body).code == "signature_headers_missing"
    other = headers | {"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}
    assert _rejected(keyring, other, body).code == "signature_type_unsupported"
    assert _rejected(keyring, headers | {"Wechatpay-Timestamp": "12a"}, body).code == \
        "timestamp_invalid"


def test_signed_non_json_and_wrong_shapes_are_refused(keyring, wechat):
    for body, code in ((b"<xml>not json</xml>", "body_invalid"), (b"[1, 2]", "body_invalid"),
                       (b'{"id": "x"}', "body_invalid"), (b"\xff\xfe", "body_invalid")):
        assert _rejected(keyring, wechat.signed_headers(body), body).code == code


def test_a_huge_body_is_refused_before_anything_else(keyring, wechat):
    body = b"{" + b" " * (64 * 1024) + b"}"
    refused = _rejected(keyring, {}, body)
    assert (refused.code, refused.status) == ("body_too_large", 413)


def test_a_resource_that_does_not_decrypt_is_refused(keyring, wechat, fake_keys):
    other_key = FakeWechatPay(FakeKeys(fake_keys.platform_private, fake_keys.merchant_private,
                                       b"0" * 32), clock=NOW.timestamp)
    body = _payment(other_key)  # encrypted with another APIv3 key, signed with the right one
    assert _rejected(keyring, wechat.signed_headers(body), body).code == "resource_undecryptable"
    envelope = json.loads(_payment(wechat))
    envelope["resource"]["associated_data"] = "mall_refund"  # authenticated data changed
    tampered = json.dumps(envelope).encode()
    assert _rejected(keyring, wechat.signed_headers(tampered), tampered).code == \
        "resource_undecryptable"
    envelope["resource"]["ciphertext"] = "not base64!"
    broken = json.dumps(envelope).encode()
    assert _rejected(keyring, wechat.signed_headers(broken), broken).code == \
        "resource_undecryptable"
    envelope["resource"]["algorithm"] = "AEAD_SM4_GCM"
    foreign = json.dumps(envelope).encode()
    assert _rejected(keyring, wechat.signed_headers(foreign), foreign).code == \
        "algorithm_unsupported"


def test_a_resource_missing_fields_is_refused(keyring, wechat):
    for broken in ({"mchid": "1"}, {"transaction_id": "1", "amount": -5}):
        body = wechat.notification(notification.PAYMENT_EVENT, broken)
        refused = _rejected(keyring, wechat.signed_headers(body), body)
        assert refused.code == "resource_invalid"


def test_other_events_read_without_a_payload(keyring, wechat):
    body = wechat.notification("MALL_AUTH.ACTIVATE_CARD", {"openid": "o1", "mchid": "1"})
    read = _read(keyring, wechat.signed_headers(body), body)
    assert (read.event_type, read.payload) == ("MALL_AUTH.ACTIVATE_CARD", None)


def test_requests_to_wechat_pay_carry_a_verifiable_authorization(fake_keys):
    body = json.dumps({"transaction_id": "42", "earn_points": True}).encode()
    header = crypto.authorization(
        mchid=MALL_MCHID, serial=fake_keys.merchant_serial,
        private_key=fake_keys.merchant_private, method="POST",
        path="/v3/businesscircle/points/notify", body=body, timestamp=1700000000, nonce="n0nce")
    params = crypto.parse_authorization(header)
    assert header.startswith("WECHATPAY2-SHA256-RSA2048 ")
    assert (params["mchid"], params["serial_no"], params["timestamp"], params["nonce_str"]) == \
        (MALL_MCHID, fake_keys.merchant_serial, "1700000000", "n0nce")
    message = b"POST\n/v3/businesscircle/points/notify\n1700000000\nn0nce\n" + body + b"\n"
    public = fake_keys.merchant_private.public_key()
    assert crypto.verify(public, message, params["signature"])
    assert not crypto.verify(public, message.replace(b"true", b"false"), params["signature"])
    assert len(base64.b64decode(params["signature"])) == 256  # RSA 2048


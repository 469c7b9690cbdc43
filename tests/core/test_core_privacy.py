import pytest

from core.privacy import mask_sensitive


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("卡号 6222 0212 3456 1234", "卡号 ****1234"),
        ("银联卡 6222021234561234", "银联卡 ****1234"),
        ("卡号:6222 **** **** 1234", "卡号:****1234"),
        ("VISA 4111-1111-1111-1111", "VISA ****1111"),
        ("会员手机:13812345678", "会员手机:138****5678"),
        # not personal: receipt numbers, money, dates, the store's phone
        ("单号 20261120143205001", "单号 20261120143205001"),
        ("实付 279.00", "实付 279.00"),
        ("2026-11-20 14:32:05", "2026-11-20 14:32:05"),
        ("电话 020-38001234", "电话 020-38001234"),
    ],
)
def test_mask_sensitive(text, masked):
    assert mask_sensitive(text) == masked


def test_phone_numbers_are_masked_in_every_log_line(caplog):
    import io
    import logging

    from core.privacy import PhoneMaskingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PhoneMaskingFilter())
    logger = logging.getLogger("rp.test.privacy")
    logger.addHandler(handler)
    try:
        logger.warning("member %s asked for a receipt", "13912345678")
        logger.warning("GET /desk/manual?q=15800001111 200")
        try:
            raise ValueError("no member with phone 18612345678")
        except ValueError:
            logger.exception("lookup failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "139****5678" in text and "158****1111" in text and "186****5678" in text
    assert not any(number in text for number in ("13912345678", "15800001111",
                                                 "18612345678"))


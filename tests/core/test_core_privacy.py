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

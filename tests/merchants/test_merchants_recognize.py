"""Merchant recognition from OCR rows: names, aliases, ids, noise, unknown stores."""

import json
from pathlib import Path

import pytest

from merchants.recognize import MerchantIndex, recognize
from merchants.types import MerchantProfile
from ocr.types import Row

DEMO_MALL = Path(__file__).parents[2] / "merchants" / "demo_mall.json"
EXTRA = (
    MerchantProfile("t02", "太平鸟童装", english_name="PEACEBIRD KIDS"),  # next to m018 太平鸟
    MerchantProfile("t04", "GARDENIA BAKERIES (KL) SDN BHD"),
    MerchantProfile("t05", "MAKASSAR FRESH MARKET SDN BHD"),
    MerchantProfile("t06", "POPULAR BOOK CO. (M) SDN BHD"),
    MerchantProfile("t07", "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"),
    MerchantProfile("t08", "HON HWA HARDWARE TRADING"),
    MerchantProfile("t09", "KHE ELECTRICAL TRADING"),
    MerchantProfile("t10", "SWC ENTERPRISE SDN BHD"),
    MerchantProfile("t11", "YONG CEN ENTERPRISE"),
    MerchantProfile("t12", "SOON HUAT HARDWARE TRADING"),
)


def demo_profiles() -> list[MerchantProfile]:
    return [
        MerchantProfile(
            id=m["id"],
            name=m["name"],
            aliases=tuple(m.get("aliases", ())),
            english_name=m.get("english_name"),
            shop_no=m.get("shop_no"),
            payment_merchant_ids=tuple(m.get("payment_merchant_ids", ())),
        )
        for m in json.loads(DEMO_MALL.read_text(encoding="utf-8"))
    ]


@pytest.fixture(scope="module")
def index() -> MerchantIndex:
    return MerchantIndex([*demo_profiles(), *EXTRA])


def rows(*texts: str, score: float = 0.97) -> list[Row]:
    return [Row(t, score) for t in texts]


def receipt(*head: str) -> list[Row]:
    """A store header followed by an ordinary receipt body."""
    return rows(
        *head, "单号：20261120001", "2026-11-20 14:32", "商品A 1 39.00", "合计 39.00", "实付 39.00"
    )


@pytest.mark.parametrize(
    ("head", "merchant_id"),
    [
        (("优衣库",), "m001"),
        (("UNIQLO 优衣库", "天河城店"), "m001"),
        (("STARBUCKS COFFEE", "天河城店"), "m002"),
        (("欢迎光临海底捞",), "m003"),
        (("喜茶GO", "天河城店"), "m004"),
        (("KFC",), "m014"),
        (("Welcome to KFC",), "m014"),
        (("屈巨氏个人护理店",), "m005"),
    ],
)
def test_recognises_names_aliases_and_english_names(
    index: MerchantIndex, head: tuple[str, ...], merchant_id: str
) -> None:
    match = index.recognize(receipt(*head))
    assert match.merchant_id == merchant_id
    assert match.score >= 85
    assert 0.0 < match.confidence <= 1.0


def test_long_company_name_with_ocr_noise_and_registration_number(index: MerchantIndex) -> None:
    match = index.recognize(
        rows("GARDENIA BAKERLES (KL) SDN BHD (139386 X)", "Lot 3, Jalan Pelabur 23/1,")
    )
    assert match.merchant_id == "t04"


def test_name_wrapped_over_two_rows(index: MerchantIndex) -> None:
    match = index.recognize(
        rows("POPULAR", "BOOK CO. (M) SDN BHD", "(Co. No. 113825-W)", "Total 11.80")
    )
    assert match.merchant_id == "t06"
    assert match.evidence == "POPULAR BOOK CO. (M) SDN BHD"


def test_store_name_at_the_top_beats_a_customer_name_further_down(index: MerchantIndex) -> None:
    body = [f"row {i}" for i in range(6)]
    match = index.recognize(
        rows("GARDENIA BAKERLES (KL) SDN BHD", *body, "MAKASSAR FRESH MARKET SDN BHD")
    )
    assert match.merchant_id == "t04"


def test_a_rival_name_far_below_the_store_name_leaves_a_clear_lead(index: MerchantIndex) -> None:
    """A customer billed eight rows down is no rival to the name heading the receipt; two
    store names in the header are."""
    header = ["GARDENIA BAKERIES (KL) SDN BHD", "MAKASSAR FRESH MARKET SDN BHD"]
    billed = rows(header[0], *[f"row {i}" for i in range(7)], header[1])
    side_by_side = rows(header[0], "Lot 3, Jalan Pelabur 23/1", header[1], "row 0")
    far, near = index.recognize(billed), index.recognize(side_by_side)
    assert far.merchant_id == near.merchant_id == "t04"
    assert far.margin >= 25 > near.margin
    assert far.confidence > near.confidence


def test_shop_number_alone_identifies_the_store(index: MerchantIndex) -> None:
    match = index.recognize(rows("某某餐饮", "铺位号：L5-501", "实付 88.00"))
    assert (match.merchant_id, match.score) == ("m003", 100.0)


def test_payment_merchant_id_alone_identifies_the_store(index: MerchantIndex) -> None:
    match = index.recognize(rows("商户号：1900000104", "微信支付 18.00"))
    assert match.merchant_id == "m004"


@pytest.mark.parametrize(
    "head",
    [
        ("沙县小吃", "福州路店"),
        ("欢喜茶叶店",),  # 喜茶 inside another word
        ("SKFCC TRADING",),  # KFC inside another word
        ("小米粥 1 8.00",),  # 小米 on an item line
        ("LIM SENG THO HARDWARE TRADING",),  # only words many names share match
    ],
)
def test_unknown_store_is_not_forced_onto_a_registered_one(
    index: MerchantIndex, head: tuple[str, ...]
) -> None:
    match = index.recognize(receipt(*head))
    assert match.merchant_id is None
    assert match.name is None


def test_longer_similar_name_wins_with_a_margin(index: MerchantIndex) -> None:
    kids = index.recognize(receipt("太平鸟童装 天河城店"))
    adults = index.recognize(receipt("太平鸟 天河城店"))
    assert kids.merchant_id == "t02" and kids.margin >= 10
    assert adults.merchant_id == "m018" and adults.margin >= 10


def test_confidence_grows_with_margin(index: MerchantIndex) -> None:
    # The OCR score of the name row is a signal too, but the fitted calibration gives it
    # next to no weight: on labelled receipts it did not tell right names from wrong ones.
    clear = index.recognize(rows("无印良品", score=0.99))
    close_call = index.recognize(rows("太平鸟童", score=0.99))
    assert clear.merchant_id == "m007"
    assert clear.margin > close_call.margin
    assert clear.confidence > close_call.confidence
    assert clear.signals["margin"] > close_call.signals["margin"]


def test_no_rows_and_empty_registry(index: MerchantIndex) -> None:
    assert index.recognize([]).merchant_id is None
    assert MerchantIndex([]).recognize(rows("优衣库")).merchant_id is None


def test_module_level_recognize_matches_the_index() -> None:
    profiles = demo_profiles()
    assert recognize(rows("无印良品 MUJI"), profiles).merchant_id == "m007"


def test_garbled_name_that_leads_clearly_is_named_but_never_sure() -> None:
    index = MerchantIndex([
        MerchantProfile("s1", "LIAN HING STATIONERY SDN BHD"),
        MerchantProfile("s2", "TEO HENG STATIONERY & BOOKS"),
        MerchantProfile("s3", "KING'S CONFECTIONERY S/B"),
        MerchantProfile("s4", "S&Y STATIONERY"),  # STATIONERY is a common word: it names none
        MerchantProfile("s5", "WESTERN EASTERN STATIONERY SDN BHD"),
    ])
    match = index.recognize(rows("UAN HING STATIONERY SDN BHD", "(162761-M)", "TOTAL 159.00"))
    assert match.merchant_id == "s1"
    assert match.score < 85  # below the score that names a store outright
    assert match.confidence <= 0.8  # so the desk confirms it
    printed = index.recognize(rows("LIAN HING STATIONERY SDN BHD", "TOTAL 159.00"))
    assert printed.merchant_id == "s1" and printed.confidence > 0.8

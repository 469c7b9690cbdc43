"""Published rule versions: which one is in force on a day, publishing, and what a credit
records of the version and multipliers that produced it."""

import re
from datetime import date
from decimal import Decimal

import pytest
from fakes import TODAY
from sqlalchemy import select

from core.db import session_scope
from core.errors import AppError
from merchants.models import Merchant
from points import earning, versions
from points.models import LedgerEntry, RuleVersion
from points.rules import default_rules, parse_rules
from points.settings import get_points_settings
from receipts.models import Receipt

TIERS = """
tiers:
  levels:
    - {code: standard, name: 普通会员, growth: 0, factor: 1}
    - {code: gold, name: 金卡, growth: 15000, factor: 1.2}
"""
BUILT_IN_TEXT = "member_days: [{name: 会员日, weekdays: [3], factor: 2}]\n" + TIERS
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def built_in_rules(monkeypatch, tmp_path):
    """Version 0 of these tests: 1 point a yuan, double on Wednesdays."""
    path = tmp_path / "built-in.yaml"
    path.write_text(BUILT_IN_TEXT, encoding="utf-8")
    monkeypatch.setenv("RP_POINTS_RULES_FILE", str(path))
    clear_rule_caches()
    yield
    clear_rule_caches()


def clear_rule_caches() -> None:
    default_rules.cache_clear()
    get_points_settings.cache_clear()


def document(earn_rate: str) -> str:
    return f"earn_rate: {earn_rate}\n{TIERS}"


def publish(text: str, effective_from: date, today: date = TODAY) -> int:
    with session_scope() as db_session:
        return versions.publish(
            db_session, text=text, effective_from=effective_from, actor="ops", today=today
        ).version


def in_force(day: date):
    with session_scope() as db_session:
        return versions.in_force(db_session, day)


def publish_error(text: str, effective_from: date = TODAY) -> AppError:
    with pytest.raises(AppError) as caught:
        publish(text, effective_from)
    return caught.value


def stored_versions() -> list[int]:
    with session_scope() as db_session:
        return list(db_session.scalars(select(RuleVersion.version)))


# --- which version is in force ---------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2000, 1, 1), TODAY, date(2099, 12, 31)])
def test_versions_built_in_rules_are_in_force_without_a_version(db_url, day):
    version, rules = in_force(day)
    assert version == versions.BUILT_IN == 0
    assert rules == parse_rules(BUILT_IN_TEXT)


@pytest.mark.parametrize(("day", "version", "earn_rate"), [
    (date(2026, 11, 30), 0, "1"),
    (date(2026, 12, 1), 1, "2"),
    (date(2026, 12, 14), 1, "2"),
    (date(2026, 12, 15), 3, "0.5"),    # published last, effective between 1 and 2
    (date(2026, 12, 31), 3, "0.5"),
    (date(2027, 1, 1), 2, "3"),
    (date(2030, 6, 1), 2, "3"),
])
def test_versions_in_force_is_the_latest_effective_not_after_the_day(db_url, day, version,
                                                                      earn_rate):
    assert publish(document("2"), date(2026, 12, 1)) == 1
    assert publish(document("3"), date(2027, 1, 1)) == 2
    assert publish(document("0.5"), date(2026, 12, 15)) == 3
    found, rules = in_force(day)
    assert (found, rules.earn_rate) == (version, Decimal(earn_rate))


def test_versions_same_effective_day_the_later_publication_wins(db_url):
    publish(document("2"), date(2026, 12, 1))
    publish(document("4"), date(2026, 12, 1))
    assert in_force(date(2026, 12, 1))[0] == 2
    assert in_force(date(2026, 12, 1))[1].earn_rate == 4


def test_versions_stored_body_reads_back_as_the_published_rules(db_url):
    text = f"""
earn_rate: 0.75
combine: highest
member_days: [{{name: 逢八, month_days: [8, 18, 28], factor: 1.5}}]
campaigns: [{{name: 双十二, start: 2026-12-10, end: 2026-12-12, factor: 2.5, merchants: [m001]}}]
categories: {{珠宝: {{earn_rate: 0.2, min_spend: 1000}}}}
merchants: {{m006: {{excluded: true}}}}
caps: {{member_daily_points: 2000}}
expiry: {{policy: months, months: 18}}
{TIERS}"""
    publish(text, TODAY)
    assert in_force(TODAY) == (1, parse_rules(text))


# --- publishing -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "mentions"), [
    ("earn_rate: [1, 2\n", "YAML"),                     # not YAML at all
    ("earn_rate: 1\n", "tiers"),                        # no tiers
    (document("-1"), "earn_rate"),
    (document("1") + "bonus: 3\n", "bonus"),            # unknown key
    (document("1") + "member_days: [{weekdays: [3], factor: -2}]\n", "member_days.0.factor"),
    ("- just\n- a list\n", "规则有误"),
])
def test_versions_publish_refuses_invalid_rules(db_url, text, mentions):
    error = publish_error(text)
    assert (error.code, error.status) == ("rules_invalid", 422)
    assert mentions in error.message
    assert CHINESE.search(error.message)
    assert stored_versions() == []


@pytest.mark.parametrize("effective_from", [date(2026, 11, 22), date(2025, 1, 1)])
def test_versions_publish_refuses_effective_dates_in_the_past(db_url, effective_from):
    error = publish_error(document("2"), effective_from)
    assert (error.code, error.status) == ("rules_effective_in_past", 409)
    assert CHINESE.search(error.message)
    assert stored_versions() == []


def test_versions_publish_effective_today_takes_effect_today(db_url):
    assert publish(document("2"), TODAY) == 1
    assert in_force(TODAY)[0] == 1
    assert in_force(date(2026, 11, 22))[0] == 0


# --- earning under the version in force on the purchase day ---------------------------------

V1_FROM = date(2026, 11, 10)


def offer(member_id: int, day: date, amount: str = "128.99"):
    with session_scope() as db_session:
        merchant = db_session.get(Merchant, "m001")
        return earning.offer(
            db_session, member_id=member_id, merchant=merchant, amount=Decimal(amount), day=day,
            payment_method="wechat", today=TODAY,
        )


def credit(made, member_id: int, receipt_id: str) -> LedgerEntry:
    with session_scope() as db_session:
        db_session.add(Receipt(id=receipt_id, member_id=member_id, merchant_id="m001"))
        db_session.flush()
        entry, created = earning.credit(
            db_session, made, member_id=member_id, receipt_id=receipt_id, actor="test",
            reason="小票积分", today=TODAY,
        )
        assert created
        db_session.expunge(entry)
        return entry


@pytest.fixture
def version_one(demo_mall):
    """Version 1 from 2026-11-10 (published before): 3 points a yuan, no member day."""
    assert publish(document("3"), V1_FROM, today=date(2026, 11, 1)) == 1


@pytest.mark.parametrize(("day", "version", "points"), [
    (date(2026, 11, 4), 0, 256),   # a Wednesday under the built-in rules: 128 × 2
    (date(2026, 11, 9), 0, 128),   # a Monday, the day before version 1
    (V1_FROM, 1, 384),             # 128 × 3
    (date(2026, 11, 18), 1, 384),  # a Wednesday, but version 1 has no member day
])
def test_versions_offer_uses_the_version_in_force_on_the_purchase_day(version_one, member, day,
                                                                     version, points):
    made = offer(member, day)
    assert (made.version, made.quote.points, made.quote.whole_yuan) == (version, points, 128)


def test_versions_credit_records_rule_version_and_multipliers(version_one, member):
    built_in = credit(offer(member, date(2026, 11, 4)), member, "r-built-in")
    published = credit(offer(member, date(2026, 11, 18)), member, "r-version-1")
    with session_scope() as db_session:
        rows = {e.receipt_id: e for e in db_session.scalars(select(LedgerEntry))}
    assert {key: (row.rule_version, row.points, row.growth, row.business_date)
            for key, row in rows.items()} == {
        "r-built-in": (0, 256, 128, date(2026, 11, 4)),
        "r-version-1": (1, 384, 128, date(2026, 11, 18)),
    }
    assert rows["r-built-in"].detail["multipliers"] == [
        {"kind": "member_day", "name": "会员日", "factor": "2"}
    ]
    assert rows["r-version-1"].detail["multipliers"] == []
    for entry, rate, factor in ((rows["r-built-in"], 1, 2), (rows["r-version-1"], 3, 1)):
        detail = entry.detail
        assert (detail["whole_yuan"], detail["base_points"]) == (128, 128 * rate)
        assert (Decimal(detail["rate"]), Decimal(detail["factor"])) == (rate, factor)
        assert detail["capped_by"] is None
        assert entry.expires_on == date(2027, 12, 31)  # year end of next year, both versions
    assert (built_in.id, published.id) == (rows["r-built-in"].id, rows["r-version-1"].id)

"""The earning rules as data, without a database: ``engine.quote`` under small rule sets.

Every expected number below is worked out by hand from the rule text of the case.
2026-11-23 (TODAY) is a Monday; 2026-11-18 a Wednesday; 2026-11-08 a Sunday.
"""

from datetime import date, timedelta
from decimal import Decimal
from textwrap import dedent

import pytest
import yaml
from fakes import TODAY
from pydantic import ValidationError

from core.clock import add_months
from points import rules as rules_module
from points import settings as points_settings
from points.engine import Multiplier, Purchase, Usage, quote
from points.rules import Expiry, RuleSet, parse_rules

MONDAY = TODAY
WEDNESDAY = date(2026, 11, 18)
SUNDAY = date(2026, 11, 8)
NOTHING_YET = Usage()

BASE = """
tiers:
  levels:
    - {code: standard, name: 普通会员, growth: 0, factor: 1}
    - {code: gold, name: 金卡, growth: 100, factor: 1.2}
    - {code: diamond, name: 钻石卡, growth: 200, factor: 1.5}
"""


def make_rules(extra: str = "") -> RuleSet:
    """The minimal base (only tiers) with the top-level keys of ``extra`` replacing it."""
    document = {**yaml.safe_load(BASE), **(yaml.safe_load(dedent(extra)) or {})}
    return parse_rules(yaml.safe_dump(document, allow_unicode=True))


def buy(amount="100", *, merchant="m001", category="服装", day=MONDAY, payment=None,
        rate="1") -> Purchase:
    return Purchase(
        merchant_id=merchant, category=category, amount=Decimal(amount), day=day,
        payment_method=payment, merchant_rate=Decimal(rate),
    )


def quote_of(rules: RuleSet, purchase: Purchase, *, tier="standard", usage=NOTHING_YET):
    return quote(rules, purchase, tier=tier, usage=usage, today=TODAY)


# --- earn rate and rounding ---------------------------------------------------------


@pytest.mark.parametrize(("earn_rate", "amount", "whole_yuan", "points"), [
    ("1", "128.99", 128, 128),
    ("1", "128.00", 128, 128),
    ("1", "0.99", 0, 0),
    ("0.5", "128.99", 128, 64),
    ("0.5", "129.50", 129, 64),     # 64.5 → 64
    ("0.33", "33", 33, 10),         # 10.89 → 10
    ("1.5", "99.99", 99, 148),      # 148.5 → 148
    ("0", "500", 500, 0),
])
def test_engine_whole_yuan_times_rate_rounds_down(earn_rate, amount, whole_yuan, points):
    result = quote_of(make_rules(f"earn_rate: {earn_rate}"), buy(amount))
    assert (result.whole_yuan, result.base_points, result.points) == (whole_yuan, points, points)
    assert result.eligible


@pytest.mark.parametrize(("merchant_rate", "extra", "rate", "points"), [
    ("2", "", "2", 200),
    ("0.5", "", "0.5", 50),
    ("0.5", "merchants: {m001: {earn_rate: 3}}", "1.5", 150),
    ("1.5", "categories: {服装: {earn_rate: 0.5}}", "0.75", 75),
    ("2", "earn_rate: 0.5", "1", 100),
    ("0", "", "0", 0),
])
def test_engine_registry_rate_multiplies_override_rate(merchant_rate, extra, rate, points):
    result = quote_of(make_rules(extra), buy("100", rate=merchant_rate))
    assert result.rate == Decimal(rate)
    assert result.points == points


PRECEDENCE = """
earn_rate: 1
min_spend: 10
categories: {珠宝: {earn_rate: 0.5, min_spend: 200}}
merchants: {m009: {earn_rate: 2, min_spend: 50}}
"""


@pytest.mark.parametrize(("merchant", "category", "amount", "points", "reasons"), [
    ("m009", "珠宝", "100", 200, ()),       # merchant's rate and minimum, not the category's
    ("m010", "珠宝", "100", 0, ("below_min_spend",)),
    ("m010", "珠宝", "400", 200, ()),
    ("m009", "服装", "100", 200, ()),
    ("m001", "服装", "100", 100, ()),
    ("m001", "服装", "9.99", 0, ("below_min_spend",)),
    ("m001", None, "100", 100, ()),
])
def test_engine_merchant_override_wins_over_category(merchant, category, amount, points, reasons):
    result = quote_of(make_rules(PRECEDENCE), buy(amount, merchant=merchant, category=category))
    assert (result.points, result.reasons) == (points, reasons)


# --- multipliers ----------------------------------------------------------------------

MEMBER_DAYS = """
member_days:
  - {name: 周三会员日, weekdays: [3], factor: 2}
  - {name: 逢八会员日, month_days: [8, 18], factor: 1.5}
"""


@pytest.mark.parametrize(("day", "names", "points"), [
    (MONDAY, [], 100),
    (date(2026, 11, 11), ["周三会员日"], 200),          # a Wednesday, not the 8th/18th
    (SUNDAY, ["逢八会员日"], 150),                      # the 8th, a Sunday
    (date(2026, 11, 21), [], 100),                      # a Saturday, the 21st
    (WEDNESDAY, ["周三会员日", "逢八会员日"], 300),      # both: 2 × 1.5
])
def test_engine_member_day_by_weekday_and_month_day(day, names, points):
    result = quote_of(make_rules(MEMBER_DAYS), buy("100", day=day))
    assert [m.name for m in result.multipliers if m.kind == "member_day"] == names
    assert result.points == points


@pytest.mark.parametrize(("tier", "factor", "points"), [
    ("standard", None, 100),
    ("gold", "1.2", 120),
    ("diamond", "1.5", 150),
    ("retired_code", None, 100),  # a code no longer in the rules counts as the base tier
])
def test_engine_tier_factor(tier, factor, points):
    result = quote_of(make_rules(), buy("100.80"), tier=tier)
    tier_factors = [m.factor for m in result.multipliers if m.kind == "tier"]
    assert tier_factors == ([Decimal(factor)] if factor else [])
    assert result.points == points


@pytest.mark.parametrize(("category", "points"), [
    ("餐饮", 150),
    ("服装", 100),
    (None, 100),
])
def test_engine_category_factor(category, points):
    rules = make_rules("categories: {餐饮: {factor: 1.5}}")
    result = quote_of(rules, buy("100", merchant="m002", category=category))
    assert result.points == points
    expected = [Multiplier("category", "餐饮", Decimal("1.5"))] if category == "餐饮" else []
    assert list(result.multipliers) == expected


CAMPAIGNS = """
campaigns:
  - {name: 双十一, start: 2026-11-01, end: 2026-11-11, factor: 3,
     merchants: [m001], categories: [餐饮]}
"""


@pytest.mark.parametrize(("day", "merchant", "category", "points"), [
    (date(2026, 11, 1), "m001", "服装", 300),    # first day, listed merchant
    (date(2026, 11, 11), "m001", "服装", 300),   # last day
    (date(2026, 11, 5), "m002", "餐饮", 300),    # listed category
    (date(2026, 11, 5), "m003", "服装", 100),    # neither listed
    (date(2026, 11, 5), "m003", None, 100),
    (date(2026, 10, 31), "m001", "服装", 100),   # the day before
    (date(2026, 11, 12), "m001", "服装", 100),   # the day after
])
def test_engine_campaign_dates_and_filters(day, merchant, category, points):
    rules = make_rules(CAMPAIGNS + "validity_days: 60")
    result = quote_of(rules, buy("100", merchant=merchant, category=category, day=day))
    assert result.points == points


def test_engine_campaign_without_filters_applies_to_every_store():
    rules = make_rules("campaigns: [{name: 周年庆, start: 2026-11-20, end: 2026-11-30, factor: 2}]")
    for merchant, category in (("m001", "服装"), ("m019", None)):
        assert quote_of(rules, buy("100", merchant=merchant, category=category)).points == 200


STACKED = """
member_days: [{name: 会员日, weekdays: [3], factor: 2}]
campaigns: [{name: 周年庆, start: 2026-11-01, end: 2026-11-30, factor: 3}]
categories: {餐饮: {factor: 0.5}}
"""


@pytest.mark.parametrize(("combine", "day", "tier", "category", "factor", "points"), [
    ("multiply", WEDNESDAY, "gold", "服装", "7.2", 720),     # 2 × 1.2 × 3
    ("highest", WEDNESDAY, "gold", "服装", "3", 300),
    ("multiply", MONDAY, "standard", "服装", "3", 300),
    ("highest", MONDAY, "standard", "服装", "3", 300),
    ("multiply", WEDNESDAY, "diamond", "餐饮", "4.5", 450),  # 2 × 1.5 × 0.5 × 3
    ("highest", WEDNESDAY, "diamond", "餐饮", "3", 300),
])
def test_engine_combine_multiply_or_highest(combine, day, tier, category, factor, points):
    rules = make_rules(STACKED + f"combine: {combine}")
    result = quote_of(rules, buy("100", category=category, day=day), tier=tier)
    assert (result.factor, result.points) == (Decimal(factor), points)


@pytest.mark.parametrize("combine", ["multiply", "highest"])
def test_engine_no_multiplier_means_factor_one(combine):
    result = quote_of(make_rules(f"combine: {combine}"), buy("100"))
    assert (result.factor, result.multipliers, result.points) == (Decimal(1), (), 100)


def test_engine_detail_lists_every_multiplier_with_its_factor():
    rules = make_rules(STACKED + "combine: multiply")
    result = quote_of(rules, buy("128.99", day=WEDNESDAY, rate="0.5"), tier="gold")
    assert result.detail() == {
        "whole_yuan": 128,
        "rate": "0.5",
        "base_points": 64,
        "multipliers": [
            {"kind": "member_day", "name": "会员日", "factor": "2"},
            {"kind": "tier", "name": "金卡", "factor": "1.2"},
            {"kind": "campaign", "name": "周年庆", "factor": "3"},
        ],
        "factor": "7.2",
        "capped_by": None,
    }
    assert result.points == 460  # 128 × 0.5 × 7.2 = 460.8


# --- eligibility ---------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "merchant", "amount", "eligible"), [
    ("min_spend: 50", "m001", "49.99", False),
    ("min_spend: 50", "m001", "50", True),
    ("min_spend: 50\nmerchants: {m001: {min_spend: 0}}", "m001", "10", True),
    ("min_spend: 50\nmerchants: {m001: {min_spend: 0}}", "m002", "10", False),
    ("merchants: {m001: {min_spend: 100}}", "m001", "99.99", False),
    ("categories: {服装: {min_spend: 100}}", "m001", "100.00", True),
])
def test_engine_min_spend_of_mall_and_override(extra, merchant, amount, eligible):
    result = quote_of(make_rules(extra), buy(amount, merchant=merchant))
    assert result.reasons == (() if eligible else ("below_min_spend",))
    assert result.points == (int(Decimal(amount)) if eligible else 0)


CAPS = """
caps:
  member_daily_points: 500
  member_store_daily_points: 100
  member_daily_receipts: 3
"""


@pytest.mark.parametrize(("usage", "points", "capped_by", "reasons"), [
    (Usage(), 80, None, ()),
    (Usage(points=450), 50, "member_daily_points", ()),
    (Usage(points=500), 0, "member_daily_points", ("daily_points_cap_reached",)),
    (Usage(points=620), 0, "member_daily_points", ("daily_points_cap_reached",)),
    (Usage(points=400, store_points=70), 30, "member_store_daily_points", ()),
    (Usage(points=460, store_points=70), 30, "member_store_daily_points", ()),
    (Usage(points=480, store_points=70), 20, "member_daily_points", ()),
    (Usage(points=100, store_points=100), 0, "member_store_daily_points",
     ("daily_points_cap_reached",)),
    (Usage(receipts=2), 80, None, ()),
    (Usage(receipts=3), 0, None, ("daily_receipt_cap_reached",)),
])
def test_engine_daily_caps(usage, points, capped_by, reasons):
    result = quote_of(make_rules(CAPS), buy("80.50"), usage=usage)
    assert (result.points, result.capped_by, result.reasons) == (points, capped_by, reasons)
    assert result.eligible is not reasons


def test_engine_no_caps_when_caps_are_null():
    rules = make_rules("caps: {member_daily_points: null, member_daily_receipts: null}")
    result = quote_of(rules, buy("1000"), usage=Usage(points=10**6, store_points=10**6,
                                                      receipts=99))
    assert (result.points, result.capped_by, result.reasons) == (1000, None, ())


@pytest.mark.parametrize(("validity_days", "days_old", "reasons"), [
    (30, 0, ()),
    (30, 30, ()),
    (30, 31, ("outside_validity_window",)),
    (30, -1, ("date_in_future",)),
    (0, 0, ()),
    (0, 1, ("outside_validity_window",)),
    (7, 7, ()),
    (7, 8, ("outside_validity_window",)),
])
def test_engine_receipt_validity_window(validity_days, days_old, reasons):
    rules = make_rules(f"validity_days: {validity_days}")
    result = quote_of(rules, buy("100", day=TODAY - timedelta(days=days_old)))
    assert (result.reasons, result.points) == (reasons, 0 if reasons else 100)


@pytest.mark.parametrize(("payment", "reasons"), [
    ("stored_value", ("payment_excluded",)),
    ("wechat", ()),
    (None, ()),
])
def test_engine_excluded_payment_method(payment, reasons):
    rules = make_rules("excluded_payment_methods: [stored_value, gift_card]")
    result = quote_of(rules, buy("100", payment=payment))
    assert (result.reasons, result.points) == (reasons, 0 if reasons else 100)


@pytest.mark.parametrize(("extra", "merchant", "category", "excluded"), [
    ("excluded_merchants: [m006]", "m006", "餐饮", True),
    ("excluded_merchants: [m006]", "m007", "餐饮", False),
    ("merchants: {m006: {excluded: true}}", "m006", "餐饮", True),
    ("merchants: {m006: {excluded: true}}", "m007", "餐饮", False),
    ("categories: {超市: {excluded: true}}", "m012", "超市", True),
    ("categories: {超市: {excluded: true}}", "m012", "餐饮", False),
    # the more specific merchant override wins: a store opted back in
    ("categories: {超市: {excluded: true}}\nmerchants: {m012: {excluded: false}}",
     "m012", "超市", False),
    ("categories: {超市: {excluded: true}}\nmerchants: {m012: {excluded: false}}",
     "m013", "超市", True),
    ("categories: {超市: {excluded: false}}\nmerchants: {m012: {excluded: true}}",
     "m012", "超市", True),
    # the mall's explicit list is not undone by an override
    ("excluded_merchants: [m012]\nmerchants: {m012: {excluded: false}}", "m012", "超市", True),
])
def test_engine_excluded_merchant(extra, merchant, category, excluded):
    result = quote_of(make_rules(extra), buy("100", merchant=merchant, category=category))
    assert result.reasons == (("merchant_excluded",) if excluded else ())
    assert result.points == (0 if excluded else 100)


def test_engine_lists_every_reason_at_once():
    rules = make_rules("min_spend: 200\nexcluded_merchants: [m006]\n"
                       "excluded_payment_methods: [stored_value]")
    purchase = buy("100", merchant="m006", payment="stored_value", day=TODAY + timedelta(days=2))
    result = quote_of(rules, purchase)
    assert result.reasons == (
        "merchant_excluded", "payment_excluded", "below_min_spend", "date_in_future"
    )
    assert (result.points, result.eligible) == (0, False)


# --- parsing and the default rule set --------------------------------------------------


def tiers_doc(*levels: tuple[str, int]) -> str:
    listed = ", ".join(f"{{code: {code}, name: x, growth: {growth}, factor: 1}}"
                       for code, growth in levels)
    return f"tiers: {{levels: [{listed}]}}"


@pytest.mark.parametrize("extra", [
    "bonus_rate: 2",                                         # unknown key
    "caps: {member_weekly_points: 10}",                      # unknown nested key
    "combine: sum",
    "earn_rate: -1",
    "min_spend: -5",
    "member_days: [{weekdays: [3], factor: -2}]",            # negative factor
    "member_days: [{weekdays: [3], factor: 0}]",
    "member_days: [{weekdays: [3], factor: 101}]",
    "member_days: [{weekdays: [0], factor: 2}]",             # ISO weekdays are 1..7
    "member_days: [{month_days: [32], factor: 2}]",
    "categories: {餐饮: {factor: -1.5}}",
    "campaigns: [{name: x, start: 2026-11-11, end: 2026-11-01, factor: 2}]",
    tiers_doc(("silver", 5000)),                             # not from growth 0
    tiers_doc(),
    tiers_doc(("standard", 0), ("gold", 0)),                 # not rising
    tiers_doc(("standard", 0), ("gold", 900), ("silver", 500)),
    tiers_doc(("Gold Card", 0)),                             # not a code
    "expiry: {policy: weekly}",
])
def test_engine_parse_rules_rejects_bad_documents(extra):
    with pytest.raises(ValidationError):
        make_rules(extra)


def test_engine_parse_rules_needs_tiers():
    with pytest.raises(ValidationError):
        parse_rules("earn_rate: 1")
    with pytest.raises(ValidationError):
        parse_rules("")


@pytest.fixture
def fresh_default_rules():
    def clear():
        rules_module.default_rules.cache_clear()
        points_settings.get_points_settings.cache_clear()

    clear()
    yield
    clear()


def test_engine_default_rules_are_the_bundled_file(fresh_default_rules, monkeypatch):
    monkeypatch.delenv("RP_POINTS_RULES_FILE", raising=False)
    rules = rules_module.default_rules()
    assert (rules.earn_rate, rules.combine, rules.validity_days) == (1, "multiply", 30)
    assert rules.excluded_payment_methods == ["stored_value"]
    assert [(d.weekdays, d.factor) for d in rules.member_days] == [([3], 2)]
    assert [(t.code, t.growth, t.factor) for t in rules.tiers.levels] == [
        ("standard", 0, 1), ("silver", 5000, 1), ("gold", 15000, Decimal("1.2")),
        ("diamond", 30000, Decimal("1.5")),
    ]
    assert rules.expiry.last_valid_day(TODAY) == date(2027, 12, 31)


def test_engine_rules_file_setting_replaces_the_default(fresh_default_rules, monkeypatch,
                                                        tmp_path):
    path = tmp_path / "mall.yaml"
    path.write_text("earn_rate: 0.5\nmin_spend: 20\n" + BASE, encoding="utf-8")
    monkeypatch.setenv("RP_POINTS_RULES_FILE", str(path))
    rules = rules_module.default_rules()
    assert (rules.earn_rate, rules.min_spend, rules.member_days) == (Decimal("0.5"), 20, [])
    assert quote_of(rules, buy("99.90")).points == 49


# --- expiry and month arithmetic ----------------------------------------------------------


@pytest.mark.parametrize(("expiry", "earned_on", "last_day"), [
    ({"policy": "never"}, date(2026, 11, 23), None),
    ({"policy": "year_end"}, date(2026, 11, 23), date(2027, 12, 31)),
    ({"policy": "year_end", "years_after": 1}, date(2026, 1, 1), date(2027, 12, 31)),
    ({"policy": "year_end", "years_after": 1}, date(2026, 12, 31), date(2027, 12, 31)),
    ({"policy": "year_end", "years_after": 0}, date(2026, 3, 5), date(2026, 12, 31)),
    ({"policy": "year_end", "years_after": 2}, date(2026, 3, 5), date(2028, 12, 31)),
    ({"policy": "months"}, date(2026, 11, 23), date(2028, 11, 22)),       # 24 by default
    ({"policy": "months", "months": 24}, date(2026, 2, 28), date(2028, 2, 27)),
    ({"policy": "months", "months": 1}, date(2026, 1, 31), date(2026, 2, 27)),
    ({"policy": "months", "months": 1}, date(2028, 1, 31), date(2028, 2, 28)),  # leap year
    ({"policy": "months", "months": 12}, date(2024, 2, 29), date(2025, 2, 27)),
    ({"policy": "months", "months": 6}, date(2026, 8, 31), date(2027, 2, 27)),
    ({"policy": "months", "months": 1}, date(2026, 12, 15), date(2027, 1, 14)),
])
def test_engine_expiry_last_valid_day(expiry, earned_on, last_day):
    assert Expiry(**expiry).last_valid_day(earned_on) == last_day


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 5, 31), 1, date(2026, 6, 30)),
    (date(2026, 11, 23), -12, date(2025, 11, 23)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 1, 15), -1, date(2025, 12, 15)),
    (date(2026, 5, 31), 0, date(2026, 5, 31)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2026, 1, 31), -25, date(2023, 12, 31)),
    (date(2026, 12, 31), 14, date(2028, 2, 29)),
])
def test_engine_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("merchant", "points", "kind"), [
    ("m002", 200, "merchant"),   # the store's own ×2 replaces 餐饮 ×1.5
    ("m003", 150, "category"),
])
def test_engine_merchant_factor_replaces_the_category_factor(merchant, points, kind):
    rules = make_rules("categories: {餐饮: {factor: 1.5}}\nmerchants: {m002: {factor: 2}}")
    result = quote_of(rules, buy("100", merchant=merchant, category="餐饮"))
    assert result.points == points
    assert [m.kind for m in result.multipliers] == [kind]

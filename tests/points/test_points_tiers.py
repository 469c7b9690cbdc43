"""Member tiers by growth value over a rolling 12 months, on both databases.

Growth is put in the ledger as earn entries with a purchase day; thresholds are
standard 0 / silver 5,000 / gold 15,000 / diamond 30,000.
"""

import uuid
from datetime import date

import pytest
from fakes import TODAY
from sqlalchemy import select

from core.db import session_scope
from points import ledger, tiers
from points.models import Member, TierChange
from points.rules import parse_rules

RULES = parse_rules("""
tiers:
  window_months: 12
  levels:
    - {code: standard, name: 普通会员, growth: 0, factor: 1}
    - {code: silver, name: 银卡, growth: 5000, factor: 1}
    - {code: gold, name: 金卡, growth: 15000, factor: 1.2}
    - {code: diamond, name: 钻石卡, growth: 30000, factor: 1.5}
""")
START = date(2025, 11, 1)  # a first upgrade; the tier is then held until 2026-11-01


def earn(member_id: int, growth: int, day: date) -> None:
    movement = ledger.Movement(
        "earn", growth, f"earn:test:{uuid.uuid4().hex}", "test", growth=growth, business_date=day
    )
    with session_scope() as db_session:
        ledger.post(db_session, movement, member_id=member_id)


def upgrade(member_id: int, today: date) -> bool:
    with session_scope() as db_session:
        member = ledger.lock_member(db_session, member_id)
        return tiers.upgrade(db_session, member, RULES, today=today)


def review(as_of: date) -> list[tuple[int, str, str, int, str]]:
    with session_scope() as db_session:
        return [(c.member_id, c.from_tier, c.to_tier, c.growth, c.reason)
                for c in tiers.review(db_session, RULES, as_of=as_of)]


def state(member_id: int) -> tuple[str, date | None]:
    with session_scope() as db_session:
        member = db_session.get(Member, member_id)
        return member.tier, member.tier_expires_on


def changes(member_id: int) -> list[tuple[str, str, int, str]]:
    with session_scope() as db_session:
        rows = db_session.scalars(
            select(TierChange).where(TierChange.member_id == member_id).order_by(TierChange.id)
        )
        return [(c.from_tier, c.to_tier, c.growth, c.reason) for c in rows]


def reach(member_id: int, growth: int, day: date = START) -> None:
    earn(member_id, growth, day)
    assert upgrade(member_id, day)


# --- upgrade --------------------------------------------------------------------------


@pytest.mark.parametrize(("growths", "tier"), [
    ([16000], "gold"),            # straight past silver
    ([3000, 2500], "silver"),
    ([20000, 10000], "diamond"),
    ([14999], "silver"),
])
def test_tiers_upgrade_lifts_at_once_to_the_highest_tier_reached(member, growths, tier):
    for offset, growth in enumerate(growths):
        earn(member, growth, date(2026, 10, 1 + offset))
    assert upgrade(member, TODAY) is True
    assert state(member) == (tier, date(2027, 11, 23))
    assert changes(member) == [("standard", tier, sum(growths), "upgrade")]


def test_tiers_no_upgrade_below_the_first_threshold(member):
    earn(member, 4999, date(2026, 11, 1))
    assert upgrade(member, TODAY) is False
    assert state(member) == ("standard", None)
    assert changes(member) == []


def test_tiers_upgrade_step_by_step_records_each_change(member):
    earn(member, 6000, date(2026, 3, 1))
    assert upgrade(member, date(2026, 3, 1)) is True
    earn(member, 25000, date(2026, 9, 1))
    assert upgrade(member, date(2026, 9, 1)) is True
    assert state(member) == ("diamond", date(2027, 9, 1))
    assert changes(member) == [
        ("standard", "silver", 6000, "upgrade"), ("silver", "diamond", 31000, "upgrade")
    ]


def test_tiers_upgrade_never_lowers_a_tier(member):
    reach(member, 31000)
    earn(member, 6000, date(2026, 11, 20))
    assert upgrade(member, TODAY) is False  # 6,000 in the window: silver level, but held
    assert state(member) == ("diamond", date(2026, 11, 1))
    assert len(changes(member)) == 1


@pytest.mark.parametrize(("day", "counted"), [
    (date(2025, 11, 23), False),  # exactly 12 months before: outside the window
    (date(2025, 11, 24), True),
    (date(2026, 6, 30), True),
    (TODAY, True),
    (date(2026, 11, 24), False),  # after the day asked about
])
def test_tiers_growth_counts_the_rolling_window_only(member, day, counted):
    earn(member, 16000, day)
    earn(member, 700, date(2026, 1, 15))
    with session_scope() as db_session:
        value = tiers.growth(db_session, member, as_of=TODAY, window_months=12)
    assert value == (16700 if counted else 700)
    assert upgrade(member, TODAY) is counted
    assert state(member)[0] == ("gold" if counted else "standard")


# --- scheduled review -------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [date(2026, 6, 1), date(2026, 10, 31), date(2026, 11, 1)])
def test_tiers_review_before_the_tier_expires_does_nothing(member, as_of):
    reach(member, 31000)
    assert review(as_of) == []
    assert state(member) == ("diamond", date(2026, 11, 1))
    assert changes(member) == [("standard", "diamond", 31000, "upgrade")]


@pytest.mark.parametrize(("recent_growth", "tier", "reason"), [
    (30000, "diamond", "retained"),
    (45000, "diamond", "retained"),
    (29999, "gold", "downgrade"),
    (16000, "gold", "downgrade"),
    (1000, "gold", "downgrade"),   # one level only, even far below gold
])
def test_tiers_review_at_expiry_retains_or_drops_one_level(member, recent_growth, tier, reason):
    reach(member, 31000)
    earn(member, recent_growth, date(2026, 10, 1))
    assert review(date(2026, 11, 2)) == [(member, "diamond", tier, recent_growth, reason)]
    assert state(member) == (tier, date(2027, 11, 2))
    assert changes(member)[-1] == ("diamond", tier, recent_growth, reason)
    assert review(date(2026, 11, 3)) == []  # the next review is a year away


def test_tiers_review_drops_one_level_per_period_down_to_standard(member):
    reach(member, 16000)                                            # gold until 2026-11-01
    assert review(date(2026, 11, 2)) == [(member, "gold", "silver", 0, "downgrade")]
    assert review(date(2027, 11, 3)) == [(member, "silver", "standard", 0, "downgrade")]
    assert state(member) == ("standard", None)                      # the base tier never lapses
    assert review(date(2030, 1, 1)) == []


def test_tiers_review_only_takes_members_whose_tier_lapsed(member):
    from points import service as points_service

    with session_scope() as db_session:
        other = points_service.get_or_create_by_code(
            db_session=db_session, code="M200", phone="13912345679"
        ).id
    reach(member, 16000)
    reach(other, 16000, date(2026, 5, 1))
    assert review(date(2026, 11, 2)) == [(member, "gold", "silver", 0, "downgrade")]
    assert state(other) == ("gold", date(2027, 5, 1))


# --- progress --------------------------------------------------------------------------


@pytest.mark.parametrize(("growth", "upgraded", "tier", "next_tier", "needed"), [
    (3000, False, "standard", "silver", 2000),
    (6000, False, "standard", "silver", 0),     # enough, but no upgrade has run yet
    (16000, True, "gold", "diamond", 14000),
    (29999, True, "gold", "diamond", 1),
    (31000, True, "diamond", None, None),
])
def test_tiers_progress_gives_next_tier_and_growth_needed(member, growth, upgraded, tier,
                                                          next_tier, needed):
    earn(member, growth, date(2026, 11, 1))
    if upgraded:
        assert upgrade(member, TODAY)
    with session_scope() as db_session:
        member_row = db_session.get(Member, member)
        progress = tiers.progress(db_session, member_row, RULES, today=TODAY)
    assert (progress.tier.code, progress.growth) == (tier, growth)
    assert (progress.next_tier and progress.next_tier.code, progress.growth_needed) == (
        next_tier, needed
    )
    assert progress.expires_on == (date(2027, 11, 23) if upgraded else None)

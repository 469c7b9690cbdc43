"""The mall's loyalty rules as data: one validated document per rule version.

``points/default_rules.yaml`` is the rule set a new mall starts with (version 0); ops
publish later versions with an effective date (``python app.py rules publish``). The
engine (``points.engine``) reads nothing else.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.clock import add_months
from points.settings import get_points_settings

DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")

Factor = Field(gt=0, le=100)
Weekday = Annotated[int, Field(ge=1, le=7)]
MonthDay = Annotated[int, Field(ge=1, le=31)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberDay(Strict):
    """A recurring day: ISO weekdays (1 = Monday) and/or days of the month."""

    name: str = "会员日"
    weekdays: list[Weekday] = Field(default_factory=list)
    month_days: list[MonthDay] = Field(default_factory=list)
    factor: Decimal = Factor

    def applies(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays or day.day in self.month_days


class Campaign(Strict):
    """A dated multiplier, optionally for some merchants or categories only."""

    name: str
    start: date
    end: date
    factor: Decimal = Factor
    merchants: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ends_after_start(self) -> "Campaign":
        if self.end < self.start:
            raise ValueError("campaign end must not be before its start")
        return self

    def applies(self, day: date, merchant_id: str, category: str | None) -> bool:
        if not self.start <= day <= self.end:
            return False
        if self.merchants or self.categories:
            return merchant_id in self.merchants or category in self.categories
        return True


class Override(Strict):
    """What a category or one merchant changes from the mall's rule; None = not set."""

    earn_rate: Decimal | None = Field(default=None, ge=0)
    factor: Decimal | None = Field(default=None, gt=0, le=100)
    min_spend: Decimal | None = Field(default=None, ge=0)
    excluded: bool | None = None


class Caps(Strict):
    member_daily_points: int | None = Field(default=None, ge=0)
    member_store_daily_points: int | None = Field(default=None, ge=0)
    member_daily_receipts: int | None = Field(default=None, ge=0)


class Expiry(Strict):
    """never; year_end (end of the year ``years_after`` years after earning);
    months (``months`` after the earning day)."""

    policy: Literal["never", "year_end", "months"] = "year_end"
    years_after: int = Field(default=1, ge=0)
    months: int = Field(default=24, ge=1)

    def last_valid_day(self, earned_on: date) -> date | None:
        if self.policy == "never":
            return None
        if self.policy == "year_end":
            return date(earned_on.year + self.years_after, 12, 31)
        return add_months(earned_on, self.months) - timedelta(days=1)


class Tier(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    name: str
    growth: int = Field(ge=0)
    factor: Decimal = Factor


class Tiers(Strict):
    window_months: int = Field(default=12, ge=1)
    levels: list[Tier]

    @model_validator(mode="after")
    def _ascending_from_zero(self) -> "Tiers":
        thresholds = [level.growth for level in self.levels]
        if not thresholds or thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
            raise ValueError("tier levels must start at growth 0 and rise strictly")
        return self

    def by_code(self, code: str) -> Tier:
        return next((t for t in self.levels if t.code == code), self.levels[0])

    def index(self, code: str) -> int:
        return self.levels.index(self.by_code(code))

    def for_growth(self, growth: int) -> Tier:
        return [t for t in self.levels if t.growth <= growth][-1]


class RuleSet(Strict):
    earn_rate: Decimal = Field(default=Decimal(1), ge=0)
    combine: Literal["multiply", "highest"] = "multiply"
    min_spend: Decimal = Field(default=Decimal(0), ge=0)
    validity_days: int = Field(default=30, ge=0)
    allow_negative_balance: bool = False
    excluded_payment_methods: list[str] = Field(default_factory=list)
    excluded_merchants: list[str] = Field(default_factory=list)
    caps: Caps = Caps()
    member_days: list[MemberDay] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)
    categories: dict[str, Override] = Field(default_factory=dict)
    merchants: dict[str, Override] = Field(default_factory=dict)
    expiry: Expiry = Expiry()
    tiers: Tiers

    def overrides_for(self, merchant_id: str, category: str | None) -> list[Override]:
        """Category first, then merchant: the more specific one wins."""
        found = [self.categories.get(category or ""), self.merchants.get(merchant_id)]
        return [o for o in found if o is not None]


def parse_rules(text: str) -> RuleSet:
    """A rule document (YAML or JSON) → a validated RuleSet; pydantic says what is wrong."""
    return RuleSet.model_validate(yaml.safe_load(text) or {})


@lru_cache
def default_rules() -> RuleSet:
    """Version 0: ``RP_POINTS_RULES_FILE`` when set, else the bundled default."""
    path = get_points_settings().rules_file or DEFAULT_RULES
    return parse_rules(path.read_text(encoding="utf-8"))

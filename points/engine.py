"""How many points one purchase earns under a rule set: a pure function of its inputs.

Points = whole yuan × earn rate × the combined multipliers, rounded down, then held
to the daily caps. The quote keeps every factor it used, so a shopper's "why did I
get 236 points?" is answered from the ledger entry alone.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from points.rules import Override, RuleSet

ONE = Decimal(1)


@dataclass(frozen=True)
class Purchase:
    merchant_id: str
    category: str | None
    amount: Decimal
    day: date
    payment_method: str | None = None
    merchant_rate: Decimal = ONE  # the registry's points rate of the store


@dataclass(frozen=True)
class Usage:
    """What the member already earned on the purchase day (net of reversals)."""

    points: int = 0
    store_points: int = 0
    receipts: int = 0


@dataclass(frozen=True)
class Multiplier:
    kind: str  # member_day | tier | category | merchant | campaign
    name: str
    factor: Decimal


@dataclass(frozen=True)
class Quote:
    points: int
    base_points: int
    whole_yuan: int
    rate: Decimal
    factor: Decimal
    multipliers: tuple[Multiplier, ...] = ()
    capped_by: str | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return not self.reasons

    def detail(self) -> dict:
        """The JSON a ledger entry keeps of how its points were found."""
        return {
            "whole_yuan": self.whole_yuan,
            "rate": str(self.rate),
            "base_points": self.base_points,
            "multipliers": [
                {"kind": m.kind, "name": m.name, "factor": str(m.factor)} for m in self.multipliers
            ],
            "factor": str(self.factor),
            "capped_by": self.capped_by,
        }


def floor_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def quote(
    rules: RuleSet, purchase: Purchase, *, tier: str, usage: Usage, today: date
) -> Quote:
    whole_yuan = max(floor_int(purchase.amount), 0)
    rate = _earn_rate(rules, purchase)
    multipliers = _multipliers(rules, purchase, tier)
    factor = _combine(rules.combine, [m.factor for m in multipliers])
    points = floor_int(whole_yuan * rate * factor)
    capped, capped_by = _apply_caps(rules, points, usage)
    reasons = _ineligibility(rules, purchase, usage, today)
    if capped == 0 and capped_by and not reasons:
        reasons.append("daily_points_cap_reached")
    return Quote(
        points=capped if not reasons else 0,
        base_points=floor_int(whole_yuan * rate),
        whole_yuan=whole_yuan,
        rate=rate,
        factor=factor,
        multipliers=tuple(multipliers),
        capped_by=capped_by,
        reasons=tuple(reasons),
    )


def _earn_rate(rules: RuleSet, purchase: Purchase) -> Decimal:
    overrides = rules.overrides_for(purchase.merchant_id, purchase.category)
    return _most_specific(overrides, "earn_rate", rules.earn_rate) * purchase.merchant_rate


def _most_specific(overrides: list[Override], name: str, default):
    """The value of ``name`` in the most specific override that sets it, else ``default``."""
    return next(
        (value for o in reversed(overrides) if (value := getattr(o, name)) is not None), default
    )


def _multipliers(rules: RuleSet, purchase: Purchase, tier: str) -> list[Multiplier]:
    found = [Multiplier("member_day", d.name, d.factor)
             for d in rules.member_days if d.applies(purchase.day)]
    level = rules.tiers.by_code(tier)
    found.append(Multiplier("tier", level.name, level.factor))
    merchant = rules.merchants.get(purchase.merchant_id)
    category = rules.categories.get(purchase.category or "")
    if merchant and merchant.factor:  # the store's own factor replaces its category's
        found.append(Multiplier("merchant", purchase.merchant_id, merchant.factor))
    elif category and category.factor:
        found.append(Multiplier("category", purchase.category, category.factor))
    found += [Multiplier("campaign", c.name, c.factor) for c in rules.campaigns
              if c.applies(purchase.day, purchase.merchant_id, purchase.category)]
    return [m for m in found if m.factor != ONE]


def _combine(how: str, factors: list[Decimal]) -> Decimal:
    if how == "highest":
        return max(factors, default=ONE)
    product = ONE
    for factor in factors:
        product *= factor
    return product


def _apply_caps(rules: RuleSet, points: int, usage: Usage) -> tuple[int, str | None]:
    caps = rules.caps
    room = [
        (caps.member_daily_points, usage.points, "member_daily_points"),
        (caps.member_store_daily_points, usage.store_points, "member_store_daily_points"),
    ]
    capped_by = None
    for cap, used, name in room:
        if cap is not None and points > cap - used:
            points, capped_by = max(cap - used, 0), name
    return points, capped_by


def _ineligibility(rules: RuleSet, purchase: Purchase, usage: Usage, today: date) -> list[str]:
    overrides = rules.overrides_for(purchase.merchant_id, purchase.category)
    reasons = []
    excluded = _most_specific(overrides, "excluded", False)
    if purchase.merchant_id in rules.excluded_merchants or excluded:
        reasons.append("merchant_excluded")
    if purchase.payment_method and purchase.payment_method in rules.excluded_payment_methods:
        reasons.append("payment_excluded")
    if purchase.amount < _most_specific(overrides, "min_spend", rules.min_spend):
        reasons.append("below_min_spend")
    if purchase.day > today:
        reasons.append("date_in_future")
    elif (today - purchase.day).days > rules.validity_days:
        reasons.append("outside_validity_window")
    cap = rules.caps.member_daily_receipts
    if cap is not None and usage.receipts >= cap:
        reasons.append("daily_receipt_cap_reached")
    return reasons

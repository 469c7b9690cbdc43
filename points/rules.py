"""How many points a purchase earns."""

from decimal import ROUND_FLOOR, Decimal


def points_for(total: Decimal, rate: Decimal) -> int:
    """Whole points: ``total × rate`` rounded down (1 yuan = 1 point at rate 1)."""
    if total <= 0 or rate <= 0:
        return 0
    return int((total * rate).to_integral_value(rounding=ROUND_FLOOR))

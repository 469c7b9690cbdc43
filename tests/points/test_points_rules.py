from decimal import Decimal

import pytest

from points.rules import points_for


@pytest.mark.parametrize(
    ("total", "rate", "expected"),
    [
        ("128.00", "1", 128),
        ("128.99", "1", 128),  # whole yuan, rounded down
        ("0.99", "1", 0),
        ("99.50", "0.5", 49),
        ("10.00", "2", 20),
        ("0", "1", 0),
        ("-5.00", "1", 0),
        ("50.00", "0", 0),
    ],
)
def test_points_for_rounds_down_whole_points(total, rate, expected):
    assert points_for(Decimal(total), Decimal(rate)) == expected

"""The lines right above a total, which often add up to it: Sub Total + Service Charge +
GST + Rounding Adj, 合计 + 优惠, or a tax invoice's classes (Total 6% supplies (Inc. GST) +
Total 0% supplies). One amount a line, and at least one line named by a label of any role:
item lines above a total are the items check's, never this one's."""

from collections.abc import Sequence
from decimal import Decimal

from rapidfuzz.distance import Levenshtein

from merchants.parsing.scan import Candidate

MAX_BLOCK_LINES = 4  # Sub Total, Service Charge, GST, Rounding Adj


def block_sums(line: int, found: Sequence[Candidate]) -> list[Decimal]:
    """What the last 2, 3 and 4 lines with amounts above ``line`` add up to, as long as
    each holds one amount and one of them is named; lines of nothing but 0.00 are passed
    over."""
    by_line: dict[int, list[Candidate]] = {}
    for c in found:
        if c.line.index < line and c.value != 0:
            by_line.setdefault(c.line.index, []).append(c)
    block: list[Candidate] = []
    sums = []
    for index in sorted(by_line, reverse=True)[:MAX_BLOCK_LINES]:
        if len(by_line[index]) != 1:
            break
        block.append(by_line[index][0])
        if len(block) > 1 and any(c.role is not None for c in block):
            sums.append(sum((c.value for c in block), Decimal(0)))
    return sums


def one_digit_apart(a: Decimal, b: Decimal) -> bool:
    """Amounts whose printed digits differ by one digit changed, added or dropped
    (194.19 / 94.19)."""
    return Levenshtein.distance(f"{a:.2f}", f"{b:.2f}", score_cutoff=1) <= 1

"""The total: the amount actually paid.

Preferred labels (实付, Total Payable, …) win; among several, a merchant template's
own labels first, then the lowest on the receipt (rounded and net totals come last),
then the better-ranked label. A preferred amount that equals another labelled amount
plus the change is cash handed over (``应收 95 / 实收 100 / 找零 5``) and is skipped.
Without a preferred label, 合计 − 优惠, a fallback label (合计, Subtotal), the last
non-cash payment line (微信支付 128.00) or cash minus change, and finally the largest
unlabelled amount are tried, each less sure. A rounding adjustment printed below the
chosen amount is applied when the rounded amount is confirmed further down.
"""

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from merchants.parsing.confidence import field_confidence, signals
from merchants.parsing.fields import above
from merchants.parsing.fields import total_evidence as money
from merchants.parsing.fields.total_evidence import Evidence
from merchants.parsing.scan import Candidate, Line, candidates, lines_before_end
from merchants.parsing.template import GENERIC_ID, Template
from merchants.types import FieldValue

_CENTS = re.compile(r"[.,]\d|(?<=\d)[-:]\d\d$")  # 52-00: the point read as a dash
_MINUS = re.compile(r"-(?!\d{2}$)")  # not the point read as a dash (52-00)
MAX_AGREEMENTS = 2
MIN_ITEM_LINES = 2  # one line equal to the total says nothing
MAX_ROUNDING = Decimal("1.00")  # a larger "rounding" amount is a total printed next to the word
CASH = "cash"


@dataclass(frozen=True)
class Choice:
    value: Decimal
    how: str
    candidate: Candidate | None
    used: str = ""  # the cross-check the value was computed from (not counted again)
    rounded: bool = False  # a rounding adjustment was applied to the labelled amount
    repaired: bool = False  # the amount read gave way to the lines above adding up (misread)


def read(lines: Sequence[Line], template: Template) -> FieldValue | None:
    rules = template.fields["total"]
    scope = lines_before_end(lines, rules.end_labels)
    finder = money.money_finder(template, rules.labels)
    found = [money.unsigned(c) for c in candidates(scope, rules.labels, finder)]
    paid = [
        c for c in candidates(scope, template.payment_labels, finder) if c.role not in (None, CASH)
    ]
    every_amount = money.every_amount(lines, finder)
    evidence = money.gather(found, paid, every_amount, template.options.tax_rates)
    choice = _choose(found, evidence, template.id)
    if choice is None:
        return None
    choice = _rounded(_point_restored(choice, evidence, found), found, evidence)
    choice = _repaired(choice, found, evidence)
    found_signals = _signals(choice, found, evidence)
    return FieldValue(
        value=choice.value,
        confidence=field_confidence("total", found_signals),
        source=_source(template, choice),
        raw=choice.candidate.line.text if choice.candidate else None,
        signals=found_signals,
    )


def _signals(choice: Choice, found: list[Candidate], evidence: Evidence) -> dict[str, float]:
    candidate = choice.candidate
    label = candidate.label if candidate else None
    explained = _explained(choice, found, evidence)
    rivals = {c.value for c in _amounts(found, "label", evidence)} - explained
    larger = {c.value for c in _overshadowing(choice, evidence)} - explained
    subtotal = choice.how == "fallback"
    checks = _checks(choice, evidence)
    # The named lines above adding up is one more cross-check, unless they are the subtotal
    # and discount or the base and tax already counted.
    block = _adds_up(choice, found) and not (checks["gross"] or checks["tax"])
    return signals(
        choice.how,
        candidate.score if candidate else 0.0,
        min(MAX_AGREEMENTS, _count(checks, choice) + int(block)),
        _conflicts(choice, evidence)
        + int(subtotal and _adjusted_below(choice, evidence, explained)),
        rivals=min(len(rivals), 3),
        merchant_label=float(label is not None and label.origin != GENERIC_ID),
        no_cents=float(candidate is not None and _CENTS.search(candidate.raw) is None),
        rounded=float(choice.rounded),
        below_largest=float(bool(larger)),
        # Items add up to a subtotal by definition: only a total they add up to is confirmed.
        items_sum=float(not subtotal and _items_add_up(choice, found)),
        repaired=float(choice.repaired),
    )


def _adds_up(choice: Choice, found: list[Candidate]) -> bool:
    return choice.candidate is not None and choice.value in above.block_sums(
        choice.candidate.line.index, found)


def _repaired(choice: Choice, found: list[Candidate], evidence: Evidence) -> Choice:
    """A total nothing confirms, one misread digit away from what the named lines right
    above add up to (Total Payable 194.19 under 73.52 + 20.67): OCR added, dropped or
    changed a digit of it, and the sum is taken (never sure enough to credit alone)."""
    if choice.candidate is None or _support(choice, evidence) or _adds_up(choice, found):
        return choice
    for value in above.block_sums(choice.candidate.line.index, found):
        rounded_to_coin = money.to_coin(value) == choice.value  # 53.53 paid as 53.55: not misread
        if value > 0 and not rounded_to_coin and above.one_digit_apart(choice.value, value):
            return dataclasses.replace(choice, value=value, repaired=True)
    return choice


def _adjusted_below(choice: Choice, evidence: Evidence, explained: set[Decimal]) -> bool:
    """Another amount printed below a subtotal: tax or service added, a discount taken
    (会员折后价 45.68), under a label that was not read."""
    line = _line_of(choice)
    return any(c.line.index > line and c.value not in explained for c in evidence.printed)


def _overshadowing(choice: Choice, evidence: Evidence) -> list[Candidate]:
    """Larger amounts that may be the real total: on a labelled line, or printed below the
    chosen one. A larger amount on an unlabelled line above it is an item or a column of
    one (a price before its discount, a discount rate) and says nothing."""
    line = _line_of(choice)
    return [
        c for c in evidence.printed
        if c.value > choice.value and (c.role is not None or c.line.index > line)
    ]


def _items_add_up(choice: Choice, found: list[Candidate]) -> bool:
    """The last amount of every unlabelled line above the total adds up to it (item lines),
    with or without the lines that take an amount off (a returned item, an unlabelled
    discount)."""
    if choice.candidate is None:
        return False
    above = choice.candidate.line.index
    labelled = {c.line.index for c in found if c.role is not None}
    last_on_line: dict[int, Decimal] = {}
    for c in found:
        if c.line.index < above and c.line.index not in labelled and c.value != 0:
            last_on_line[c.line.index] = c.value
    if len(last_on_line) < MIN_ITEM_LINES:
        return False
    every_line = sum(last_on_line.values())
    added_only = sum(value for value in last_on_line.values() if value > 0)
    return choice.value in (every_line, added_only)


def _choose(found: list[Candidate], evidence: Evidence, template_id: str) -> Choice | None:
    preferred = _ranked(found, "label", evidence, template_id)
    if preferred:
        chosen = _settled_by_cash(preferred, evidence)
        return Choice(chosen.value, "label", chosen)
    fallback = _ranked(found, "fallback", evidence, template_id)
    if fallback and evidence.discount:
        net = fallback[0].value - evidence.discount
        if net > 0:
            return Choice(net, "derived", fallback[0], used="gross")
    if fallback and (taxed := money.plus_tax(fallback[0].value, evidence)):
        return Choice(taxed, "derived", fallback[0], used="tax")
    paid_in_full = _paid_in_full(found, evidence)
    if fallback and paid_in_full and _differs(paid_in_full[-1][0], fallback[0].value):
        value, candidate = paid_in_full[-1]
        return Choice(value, "derived", candidate, used="paid")
    if fallback:
        return Choice(fallback[0].value, "fallback", fallback[0], used="gross")
    paid = money.paid_amounts(evidence)
    if paid:
        value, candidate = paid[-1]
        return Choice(value, "derived", candidate, used="paid")
    unlabelled = [c for c in found if c.role is None and c.value > 0]
    if unlabelled:
        largest = max(unlabelled, key=lambda c: (c.value, -c.line.index))
        return Choice(largest.value, "guess", largest)
    return None


def _settled_by_cash(ranked: list[Candidate], evidence: Evidence) -> Candidate:
    """The first ranked amount, unless cash minus change contradicts it and settles a later
    one (``Total Inc. GST 758.70`` / ``Final Total 753.70`` misread / cash 760, change 1.30)."""
    if not money.change_disagrees(ranked[0].value, evidence):
        return ranked[0]
    return next((c for c in ranked[1:] if not money.change_disagrees(c.value, evidence)), ranked[0])


def _ranked(
    found: list[Candidate], role: str, evidence: Evidence, template_id: str
) -> list[Candidate]:
    """Positive amounts of one role that are not cash handed over: the merchant's own
    labels before inherited ones, amounts with cents before bare integers (``Item
    Total 3``), then the lowest line, then the better label."""
    kept = _amounts(found, role, evidence)

    def key(c: Candidate) -> tuple[bool, bool, int, int]:
        label = c.label
        return (
            label is not None and label.origin != template_id,
            _CENTS.search(c.raw) is None,
            -c.line.index,
            label.rank if label else 0,
        )

    return sorted(kept, key=key)


def _amounts(found: list[Candidate], role: str, evidence: Evidence) -> list[Candidate]:
    """Positive amounts of one role that are not cash handed over."""
    return [c for c in found if c.role == role and c.value > 0 and not _is_tendered(c, evidence)]


def _is_tendered(c: Candidate, evidence: Evidence) -> bool:
    return any(
        c.value - change == other.value and other.line.index != c.line.index
        for change in evidence.change
        for other in evidence.printed
        if other.role in money.NAMING_ROLES
    )


def _rounded(choice: Choice, found: list[Candidate], evidence: Evidence) -> Choice:
    """The total after a rounding adjustment printed below it, when the rounded amount
    is printed further down or is what was paid (the adjustment's sign is often lost)."""
    if choice.candidate is None:
        return choice
    below = choice.candidate.line.index
    paid = {value for value, _ in money.paid_amounts(evidence)}
    for rounding in (c for c in found if c.role == "rounding" and c.line.index > below):
        if not 0 < abs(rounding.value) < MAX_ROUNDING:
            continue
        for value in (choice.value + abs(rounding.value), choice.value - abs(rounding.value)):
            printed = any(c.value == value and c.line.index > rounding.line.index for c in found)
            if value > 0 and (printed or value in paid):
                return dataclasses.replace(choice, value=value, rounded=True)
    return choice


def _point_restored(choice: Choice, evidence: Evidence, found: list[Candidate]) -> Choice:
    """A total read as a bare integer that nothing confirms, whose hundredth the payment,
    tax or subtotal lines confirm: OCR lost its decimal point (``Total Payable: 5188``,
    ``CASH 51.88``, or lines above adding up to 51.88). Amounts merely printed elsewhere do
    not count: an item may cost that."""
    candidate = choice.candidate
    if candidate is None or _CENTS.search(candidate.raw) or _support(choice, evidence):
        return choice
    restored = dataclasses.replace(choice, value=(choice.value / 100).quantize(money.CENT))
    confirmed = _support(restored, evidence, without=("printed",)) or _adds_up(restored, found)
    return restored if confirmed else choice


def _paid_in_full(found: list[Candidate], evidence: Evidence) -> list[tuple[Decimal, Candidate]]:
    """What was paid, when it is printed whole: non-cash payment lines, and cash handed over
    less the change printed below it (``CHANGE 0.00`` too). A subtotal it differs from left
    out tax, service or a discount."""
    return money.paid_amounts(evidence, change=[abs(c.value) for c in found if c.role == "change"])


def _differs(paid: Decimal, subtotal: Decimal) -> bool:
    return abs(paid - subtotal) > money.MAX_CASH_ROUNDING


def _support(choice: Choice, evidence: Evidence, without: tuple[str, ...] = ()) -> int:
    """How many independent cross-checks agree with the chosen value."""
    return _count(_checks(choice, evidence), choice, without)


def _checks(choice: Choice, evidence: Evidence) -> dict[str, bool]:
    value = choice.value
    return {
        "gross": any(g - evidence.discount == value for g in evidence.gross),
        "paid": any(paid == value for paid, _ in money.paid_amounts(evidence))
        or any(t.value == value for t in evidence.tendered),
        "printed": _printed_elsewhere(choice, evidence),
        "tax": money.tax_adds_up(choice.value, evidence),
    }


def _count(checks: dict[str, bool], choice: Choice, without: tuple[str, ...] = ()) -> int:
    return sum(ok for name, ok in checks.items() if name != choice.used and name not in without)


def _conflicts(choice: Choice, evidence: Evidence) -> int:
    """Cash handed over that is less than the total; cash minus change, or what the payment
    lines say was paid, that is not the total; a total printed with a minus."""
    short_cash = bool(evidence.tendered) and max(t.value for t in evidence.tendered) < choice.value
    signed = choice.candidate is not None and _MINUS.search(choice.candidate.raw) is not None
    return (
        int(short_cash)
        + int(money.change_disagrees(choice.value, evidence))
        + int(money.paid_disagrees(choice.value, evidence))
        + int(signed)
    )


def _explained(choice: Choice, found: list[Candidate], evidence: Evidence) -> set[Decimal]:
    """The total itself and the amounts that lead to it: before a printed rounding
    adjustment, before tax (a tax summary's base), before the discount."""
    rounding = {abs(c.value) for c in found if c.role == "rounding" and c.value != 0}
    return (
        {choice.value}
        | {choice.value + r for r in rounding}
        | {choice.value - r for r in rounding}
        | money.tax_bases(choice.value, evidence)
        | ({choice.value + evidence.discount} if evidence.discount else set())
    )


def _line_of(choice: Choice) -> int:
    return choice.candidate.line.index if choice.candidate else -1


def _printed_elsewhere(choice: Choice, evidence: Evidence) -> bool:
    line = _line_of(choice)
    return any(c.value == choice.value and c.line.index != line for c in evidence.printed)


def _source(template: Template, choice: Choice) -> str:
    label = choice.candidate.label if choice.candidate else None
    origin = label.origin if label else template.id
    detail = label.text if label and choice.how != "derived" else choice.used or "largest"
    return f"{origin}:total:{choice.how}:{detail}{'+rounding' if choice.rounded else ''}"

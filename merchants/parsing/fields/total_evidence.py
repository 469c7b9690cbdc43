"""The amounts around a total that confirm or contradict it: what was handed over and
given back, paid on other lines, taken off, and taxed; and how amounts are found on a
line (``merchants.parsing.fields.total`` chooses the total with them)."""

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from merchants.parsing.labels import LabelSet
from merchants.parsing.scan import Candidate, Finder, Line
from merchants.parsing.template import Template
from merchants.parsing.values import Found, bare_amount_after_label, find_money, money_regex

MAX_CASH_ROUNDING = Decimal("0.02")
CASH_COIN = Decimal("0.05")
CENT = Decimal("0.01")
TAX_ROUNDING = Decimal("0.015")  # a tax rounded to the cent, on a base rounded too
PRINTED_ROLES = (None, "label", "fallback")
NAMING_ROLES = ("label", "fallback")


@dataclass(frozen=True)
class Evidence:
    """Every amount that can confirm or contradict a total."""

    gross: tuple[Decimal, ...]
    discount: Decimal
    tendered: tuple[Candidate, ...]
    change: tuple[Decimal, ...]
    paid: tuple[Candidate, ...]  # amounts on non-cash payment lines
    due: tuple[Decimal, ...]  # cash handed over minus change, every pair on their lines
    printed: tuple[Candidate, ...]
    every_amount: frozenset[Decimal]  # on the whole receipt, tax summaries below the end too
    tax_rates: tuple[Decimal, ...]


def money_finder(template: Template, labels: LabelSet) -> Finder:
    """Amounts in a line, plus amounts printed without a point right after a total label
    (``实收:128``, ``TOTAL 52-00``). Each line's text is searched once per receipt: the
    total's labels, the payment lines and the tax check all look at the same amounts."""
    separator = template.options.decimal_separator
    regex = money_regex(separator)

    def find(text: str) -> list[Found]:
        found = find_money(text, regex, separator)
        for hit in labels.scan(text):
            bare = bare_amount_after_label(text[hit.end :])
            # 应收: 80 434.18 — a stray figure before the amount is not the amount
            amount_follows = any(f.start >= hit.end for f in found)
            if hit.label.role in NAMING_ROLES and bare and not amount_follows:
                start, end = hit.end + bare.start, hit.end + bare.end
                if not any(f.start < end and start < f.end for f in found):
                    found.append(Found(bare.value, start, end, bare.raw))
        return sorted(found, key=lambda f: f.start)

    return functools.cache(find)


def unsigned(c: Candidate) -> Candidate:
    """A total printed with a minus (``Total Payable: -51.88``, OCR noise) keeps its amount."""
    if c.role in NAMING_ROLES and c.value < 0:
        return dataclasses.replace(c, value=-c.value)
    return c


def every_amount(lines: Sequence[Line], finder: Finder) -> frozenset[Decimal]:
    return frozenset(f.value for line in lines for f in finder(line.text) if f.value > 0)


def gather(
    found: list[Candidate], paid: list[Candidate], every_amount: frozenset[Decimal],
    tax_rates: tuple[Decimal, ...],
) -> Evidence:
    def positive(role: str) -> tuple[Candidate, ...]:
        return tuple(c for c in found if c.role == role and c.value > 0)

    return Evidence(
        gross=tuple(c.value for c in positive("fallback")),
        discount=sum((abs(c.value) for c in found if c.role == "discount"), Decimal(0)),
        # Some tills print the cash handed over with a minus (Cash -51.00).
        tendered=tuple(dataclasses.replace(c, value=abs(c.value))
                       for c in found if c.role == "tendered" and c.value != 0),
        change=tuple(abs(c.value) for c in found if c.role == "change" and c.value != 0),
        paid=tuple(c for c in paid if c.value > 0),
        due=cash_due(found),
        printed=tuple(c for c in found if c.role in PRINTED_ROLES and c.value > 0),
        every_amount=every_amount,
        tax_rates=tax_rates,
    )


def paid_amounts(
    evidence: Evidence, change: Sequence[Decimal] | None = None
) -> list[tuple[Decimal, Candidate]]:
    """Amounts on non-cash payment lines, and cash handed over minus change (by default the
    change amounts that are not zero)."""
    change = evidence.change if change is None else change
    paid = [(c.value, c) for c in evidence.paid]
    paid += [(t.value - c, t) for t in evidence.tendered for c in change if t.value > c]
    return paid


def paid_disagrees(total: Decimal, evidence: Evidence) -> bool:
    """Non-cash payment lines are printed and neither one of them nor their sum is the
    total (``应收 106.60`` / ``支付宝支付 100.67``: a discount came between)."""
    paid = [c.value for c in evidence.paid]
    return bool(paid) and total not in paid and sum(paid) != total


def change_disagrees(total: Decimal, evidence: Evidence) -> bool:
    """Cash handed over and the change are printed, and no difference of them is the total,
    nor the total rounded to the coin the cashier rounds to (5 sen)."""
    return bool(evidence.due) and not {total, to_coin(total)}.intersection(evidence.due)


def cash_due(found: list[Candidate]) -> tuple[Decimal, ...]:
    """Cash handed over minus the change. Every amount on the cash and change lines counts:
    two-column layouts put another figure beside them."""
    tendered, change = on_lines_of(found, "tendered"), on_lines_of(found, "change")
    return tuple(t - c for t in tendered for c in change if t > c)


def to_coin(amount: Decimal) -> Decimal:
    """The amount rounded to the smallest coin a cashier hands out (5 sen)."""
    return (amount / CASH_COIN).quantize(Decimal(1), ROUND_HALF_UP) * CASH_COIN


def on_lines_of(found: list[Candidate], role: str) -> set[Decimal]:
    lines = {c.line.index for c in found if c.role == role}
    return {abs(c.value) for c in found if c.line.index in lines}


def tax_adds_up(total: Decimal, evidence: Evidence) -> bool:
    return bool(tax_bases(total, evidence))


def tax_bases(total: Decimal, evidence: Evidence) -> set[Decimal]:
    """Amounts on the receipt that plus their tax at one of the template's rates, also
    printed, are the total: a tax summary (``SR 6% 19.62 1.18``) confirms it. Base and tax
    are each rounded to the cent, so their sum may be a cent off."""
    amounts = evidence.every_amount
    return {
        base
        for tax in amounts
        for base in (total - tax - CENT, total - tax, total - tax + CENT)
        if base > tax and base in amounts and is_tax_on(base, tax, evidence)
    }


def is_tax_on(base: Decimal, tax: Decimal, evidence: Evidence) -> bool:
    """``tax`` is ``base`` taxed at one of the template's rates, to the rounding of both."""
    return any(abs(base * rate - tax) <= TAX_ROUNDING for rate in evidence.tax_rates)


def plus_tax(subtotal: Decimal, evidence: Evidence) -> Decimal | None:
    """The subtotal plus a printed tax at one of the template's rates, when that sum is
    printed too (to the 5-sen rounding): the total whose own label OCR garbled
    (``Sub Total 68.87``, ``GST 6% 4.13``, ``TOTL: 73.00``)."""
    for tax in evidence.every_amount:
        if tax < subtotal and is_tax_on(subtotal, tax, evidence):
            total = subtotal + tax
            if any(abs(total - a) <= MAX_CASH_ROUNDING for a in evidence.every_amount):
                return total
    return None

"""Propose a store's parsing template from its labelled samples.

Ops start from this proposal instead of a blank file. Each sample's OCR rows are read the
way the generic reader reads them (``merchants.parsing.scan.prepare``); where a labelled
value is printed, the text before it is the label this store uses. A rule is proposed
only when at least half of the samples that carry the label support it, and both the
template text (a comment per rule) and the evidence say how many did.
"""

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import groupby
from typing import Protocol

from dedupe.fingerprint import normalize_receipt_no
from merchants.parsing import BUNDLED_DIR, GENERIC_ID, Template, load_template
from merchants.parsing.fields.labelled import find_numbers as find_receipt_numbers
from merchants.parsing.normalize import normalize_text
from merchants.parsing.scan import Line, prepare
from merchants.parsing.timed import TimedPattern
from merchants.parsing.values import Found, find_dates, find_money, money_regex
from ocr.types import Row
from training_data.loop.labels import normalize_date, normalize_total

Finder = Callable[[str], list[Found]]

KEYWORD_SHARE = 0.8
# The generic rules already keep values next to these away from the total; listing one
# as a store exclusion would take away its cross-check role (cash − change = total).
NOT_TOTAL_ROLES = ("exclude", "discount", "tendered", "change", "rounding")

_Y = r"(?P<y>(?:19|20)\d{2})"
_M = r"(?P<m>[01]?\d)"
_D = r"(?P<d>[0-3]?\d)"
# (how ops read it, pattern), tried in this order; the first with the most support wins.
DATE_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("年-月-日", rf"(?<!\d){_Y}\s?-\s?{_M}\s?-\s?{_D}"),
    ("年/月/日", rf"(?<!\d){_Y}\s?/\s?{_M}\s?/\s?{_D}"),
    ("年.月.日", rf"(?<!\d){_Y}\s?\.\s?{_M}\s?\.\s?{_D}"),
    ("X年X月X日", rf"(?<!\d){_Y}\s?年\s?{_M}\s?月\s?{_D}\s?日?"),
    ("日/月/年", rf"(?<!\d){_D}\s?(?P<sep>[-/.])\s?{_M}\s?(?P=sep)\s?{_Y}(?!\d)"),
    ("年月日连写", rf"(?<!\d){_Y}(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)"),
)

# Rows are NFKC-normalised first, so ： and ￥ arrive as : and ¥.
_LABEL_NOISE = re.compile(r"(?<![A-Za-z])RMB(?![A-Za-z])|[:¥元]", re.IGNORECASE)


class SampleLike(Protocol):
    labels: dict[str, str]
    ocr_rows: list[dict]


@dataclass(frozen=True)
class Suggestion:
    body: str  # YAML template text, a comment per proposal giving its support
    evidence: list[str]  # one zh-CN sentence per proposal


@dataclass(frozen=True)
class _Sample:
    labels: dict[str, str]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class _Proposal:
    path: tuple[str, ...]  # where the value goes in the template: ("fields", "total", "labels")
    value: str
    support: int
    out_of: int
    reason: str  # zh-CN, without the count

    @property
    def count(self) -> str:
        return f"{self.support}/{self.out_of} 个样本"


class _Tally:
    """In how many samples each label was seen (ignoring case), in first-seen order."""

    def __init__(self) -> None:
        self._samples: dict[str, set[int]] = {}
        self._text: dict[str, str] = {}

    def add(self, sample: int, label: str | None) -> None:
        if label:
            key = _label_key(label)
            self._text.setdefault(key, label)
            self._samples.setdefault(key, set()).add(sample)

    def ranked(self) -> list[tuple[str, int]]:
        """(label, samples) with the most samples first; ties keep first-seen order."""
        counts = [(self._text[key], len(seen)) for key, seen in self._samples.items()]
        return sorted(counts, key=lambda item: -item[1])


def suggest(
    samples: Sequence[SampleLike], *, merchant_name: str, english_name: str | None = None
) -> Suggestion:
    generic = _generic()
    usable = [
        _Sample(dict(s.labels), prepare(_rows(s.ocr_rows), generic.options))
        for s in samples
        if s.labels and s.ocr_rows
    ]
    header = f"# 由 {len(usable)} 个标注样本提出的模板建议，发布前请逐条核对\n"
    if not usable:
        return Suggestion(body=header + "{}\n", evidence=["没有带标注的样本，无法提出模板建议"])
    proposals = [
        *_keywords(usable, [merchant_name, english_name or ""]),
        *_total(usable, generic),
        *_receipt_no(usable, generic),
        *_date(usable),
    ]
    if not proposals:
        return Suggestion(
            body=header + "{}\n",
            evidence=[f"{len(usable)} 个样本中没有过半一致的写法，未提出任何规则"],
        )
    return Suggestion(
        body=header + _yaml(proposals), evidence=[f"{p.reason}（{p.count}）" for p in proposals]
    )


@lru_cache(maxsize=1)
def _generic() -> Template:
    return load_template(BUNDLED_DIR / f"{GENERIC_ID}.yaml")


def _rows(ocr_rows: list[dict]) -> list[Row]:
    return [Row(row["text"], float(row.get("score", 1.0))) for row in ocr_rows]


def _keywords(samples: Sequence[_Sample], names: list[str]) -> list[_Proposal]:
    printed = [normalize_text(name) for name in names if name.strip()]
    if not printed:
        return []
    pattern = "|".join(re.escape(name) for name in printed)
    compiled = TimedPattern(pattern)
    support = sum(
        1 for s in samples if compiled.search("\n".join(line.text for line in s.lines))
    )
    if support < KEYWORD_SHARE * len(samples):
        return []
    shown = "或".join(f"“{name}”" for name in printed)
    return [_Proposal(("keywords",), pattern, support, len(samples), f"小票上印有商户名{shown}")]


def _total(samples: Sequence[_Sample], generic: Template) -> list[_Proposal]:
    labelled = [
        (s.lines, truth)
        for s in samples
        if (truth := normalize_total(s.labels.get("total"))) is not None
    ]
    regex = money_regex(generic.options.decimal_separator)

    def money(text: str) -> list[Found]:
        return find_money(text, regex, generic.options.decimal_separator)

    labels, larger = _Tally(), _Tally()
    for index, (lines, truth) in enumerate(labelled):
        for found, label in _labelled_values(lines, money):
            if found.value == truth:
                labels.add(index, label)
            elif found.value > truth:
                larger.add(index, label)
    not_total = _not_total_keys(generic)
    total_label = _best(labels, len(labelled), skip=not_total | _payment_keys(generic))
    proposals: list[_Proposal] = []
    if total_label is not None:
        label, support = total_label
        proposals.append(
            _Proposal(("fields", "total", "labels"), label, support, len(labelled),
                      f"实付金额前的标签为“{label}”")
        )
    kept_out = not_total | {_label_key(p.value) for p in proposals}
    for label, support in larger.ranked():
        if _enough(support, len(labelled)) and _label_key(label) not in kept_out:
            proposals.append(
                _Proposal(("fields", "total", "exclude_labels"), label, support, len(labelled),
                          f"“{label}”后的金额大于实付金额，应排除")
            )
    return proposals


def _receipt_no(samples: Sequence[_Sample], generic: Template) -> list[_Proposal]:
    labelled = [
        (s.lines, normalize_receipt_no(s.labels["receipt_no"]))
        for s in samples
        if normalize_receipt_no(s.labels.get("receipt_no") or "")
    ]
    patterns = generic.fields["receipt_no"].patterns

    def numbers(text: str) -> list[Found]:
        return find_receipt_numbers(text, patterns)

    labels = _Tally()
    for index, (lines, truth) in enumerate(labelled):
        for found, label in _labelled_values(lines, numbers):
            if normalize_receipt_no(found.value) == truth:
                labels.add(index, label)
    best = _best(labels, len(labelled))
    if best is None:
        return []
    label, support = best
    return [
        _Proposal(("fields", "receipt_no", "labels"), label, support, len(labelled),
                  f"小票号前的标签为“{label}”")
    ]


def _date(samples: Sequence[_Sample]) -> list[_Proposal]:
    labelled = [
        (s.lines, truth) for s in samples if (truth := normalize_date(s.labels.get("date")))
    ]
    best: _Proposal | None = None
    for name, pattern in DATE_CANDIDATES:
        compiled = (TimedPattern(pattern),)
        printed = [
            found.raw.strip()
            for lines, truth in labelled
            if (found := _first_date(lines, compiled, truth)) is not None
        ]
        if printed and (best is None or len(printed) > best.support):
            best = _Proposal(("fields", "date", "patterns"), pattern, len(printed), len(labelled),
                             f"日期按“{name}”书写，如“{printed[0]}”")
    return [best] if best is not None and _enough(best.support, best.out_of) else []


def _first_date(
    lines: Sequence[Line], patterns: tuple[TimedPattern, ...], truth: date
) -> Found | None:
    """The first place in ``lines`` where ``patterns`` read the labelled date."""
    for line in lines:
        for found in find_dates(line.text, patterns):
            if found.value == truth:
                return found
    return None


def _labelled_values(lines: Sequence[Line], finder: Finder) -> Iterator[tuple[Found, str]]:
    """Every value in ``lines`` with the label printed before it ("" when none).

    The label is the text between the previous value (or the row start) and the value;
    a value alone on its row takes the text of the row above when that row has no value.
    """
    for index, line in enumerate(lines):
        previous_end = 0
        for found in finder(line.text):
            zone = _strip_label(line.text[previous_end : found.start])
            if not zone and previous_end == 0 and index > 0 and not finder(lines[index - 1].text):
                zone = _strip_label(lines[index - 1].text)
            yield found, zone if _is_label(zone) else ""
            previous_end = found.end


def _strip_label(text: str) -> str:
    """The text as ops would write a label: no colons, currency marks or edge punctuation."""
    words = " ".join(_LABEL_NOISE.sub(" ", text).split())
    return words.strip("".join({ch for ch in words if _is_punctuation(ch)}) + " ")


def _is_label(text: str) -> bool:
    """A label needs a letter to be matched; text with a number in it is an item line
    (name, quantity, code) or another value, not a label."""
    return any(ch.isalpha() for ch in text) and not any(ch.isdigit() for ch in text)


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _label_key(label: str) -> str:
    """Labels compare as the template loader compares them: case and spaces ignored."""
    return normalize_text(label).casefold().replace(" ", "")


def _not_total_keys(generic: Template) -> set[str]:
    return {
        _label_key(label.text)
        for label in generic.fields["total"].labels.labels
        if label.role in NOT_TOTAL_ROLES
    }


def _payment_keys(generic: Template) -> set[str]:
    """Payment lines (微信支付 1088.00) repeat the total for one tender, they do not name it."""
    return {_label_key(label.text) for label in generic.payment_labels.labels}


def _best(tally: _Tally, out_of: int, skip: Collection[str] = ()) -> tuple[str, int] | None:
    """The label seen on the most samples, when that is at least half of them."""
    ranked = [(label, n) for label, n in tally.ranked() if _label_key(label) not in skip]
    return ranked[0] if ranked and _enough(ranked[0][1], out_of) else None


def _enough(support: int, out_of: int) -> bool:
    return out_of > 0 and support * 2 >= out_of


def _yaml(proposals: Sequence[_Proposal]) -> str:
    """The proposals as template YAML, each item under a comment giving its support.

    Proposals come grouped by path in template order, so a path only opens the keys it
    does not share with the one before it."""
    out: list[str] = []
    previous: tuple[str, ...] = ()
    for path, group in groupby(proposals, key=lambda p: p.path):
        shared = _common_prefix(path, previous)
        out += [f"{'  ' * depth}{path[depth]}:" for depth in range(shared, len(path))]
        indent = "  " * len(path)
        for proposal in group:
            out += [f"{indent}# {proposal.count}", f"{indent}- {_quoted(proposal.value)}"]
        previous = path
    return "\n".join(out) + "\n"


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    shared = 0
    while shared < min(len(a), len(b)) and a[shared] == b[shared]:
        shared += 1
    return shared


def _quoted(value: str) -> str:
    """A YAML single-quoted scalar: backslashes stay literal (regexes read as written)."""
    return "'" + value.replace("'", "''") + "'"


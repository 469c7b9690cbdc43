"""Golden cases: OCR rows as text in, extracted fields out (tests/merchants/cases).

``<case>.txt`` holds one row per line, optionally prefixed with its OCR score as
``[0.62] ``; ``<case>.json`` names the template, ``today``, every expected field
(null when it must not be found) and optional confidence bounds, sources and signals (the
cross-checks a field's confidence is computed from, whatever the calibration makes of them).
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from ocr.types import Row

CASES = Path(__file__).parent / "cases"
TEMPLATES = BUNDLED_DIR
_SCORE_PREFIX = re.compile(r"^\[(?P<score>[01](?:\.\d+)?)\] ")


def read_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _SCORE_PREFIX.match(line)
        rows.append(Row(line[m.end() :], float(m["score"])) if m else Row(line, 0.98))
    return rows


def as_json(value: object) -> object:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return None if value is None else str(value)


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return TemplateSet.from_dir(TEMPLATES)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.json")))
def test_golden_case(case: str, templates: TemplateSet) -> None:
    spec = json.loads((CASES / f"{case}.json").read_text(encoding="utf-8"))
    template = templates.for_merchant(spec["template"])
    assert template.id == spec["template"], "the case names a template that is not bundled"

    extraction = extract(
        read_rows(CASES / f"{case}.txt"), template, today=dt.date.fromisoformat(spec["today"])
    )

    got = {name: as_json(extraction.value(name)) for name in spec["expected"]}
    assert got == spec["expected"]
    for name, low in spec.get("min_confidence", {}).items():
        assert extraction.confidence(name) >= low, name
    for name, high in spec.get("max_confidence", {}).items():
        assert extraction.confidence(name) <= high, name
    for name, source in spec.get("source", {}).items():
        assert extraction.fields[name].source == source
    for name, expected_signals in spec.get("signals", {}).items():
        found = extraction.fields[name].signals
        assert {k: found.get(k) for k in expected_signals} == expected_signals, name
    for value in extraction.fields.values():
        assert 0.0 <= value.confidence <= 1.0

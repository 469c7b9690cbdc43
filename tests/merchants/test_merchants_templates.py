"""Template loading, validation, merging, and the bundled templates' health."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from merchants.parsing import (
    BUNDLED_DIR,
    GENERIC_ID,
    TemplateError,
    TemplateSet,
    extract,
    load_template,
)
from ocr.types import Row

TEMPLATES = BUNDLED_DIR
CASES = Path(__file__).parent / "cases"
BUNDLED = sorted(TEMPLATES.glob("*.yaml"))


def rows(*texts: str) -> list[Row]:
    return [Row(t, 0.97) for t in texts]


# --- template rot: every bundled template loads, compiles and is covered -----------


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_template_loads_and_merges_over_generic(path: Path) -> None:
    template = load_template(path)
    generic = load_template(TEMPLATES / f"{GENERIC_ID}.yaml")
    merged = template.merged_over(generic) if template.id != GENERIC_ID else template
    assert merged.id == path.stem
    for rules in merged.fields.values():
        assert rules.labels.scan("") == []  # the combined label regex compiled
        assert all(p.groupindex for p in rules.patterns)
    assert set(merged.fields) == {"date", "time", "total", "receipt_no", "transaction_id"}
    assert merged.payment_labels.labels, "no payment words after merging"


@pytest.mark.parametrize("path", [p for p in BUNDLED if p.stem != GENERIC_ID], ids=lambda p: p.stem)
def test_every_merchant_template_has_a_golden_case(path: Path) -> None:
    cases = [json.loads(c.read_text(encoding="utf-8")) for c in CASES.glob("*.json")]
    assert any(c["template"] == path.stem for c in cases)


def test_template_set_falls_back_to_generic() -> None:
    templates = TemplateSet.from_dir(TEMPLATES)
    assert templates.for_merchant("no-such-store").id == GENERIC_ID
    assert templates.for_merchant(None).id == GENERIC_ID
    assert templates.for_merchant("m001").id == "m001"


def test_keywords_are_regexes_matched_case_insensitively() -> None:
    templates = TemplateSet.from_dir(TEMPLATES)
    found = templates.match_keywords("uniqlo 天河城店\n支付金额 ¥249.00")
    assert found is not None and found.id == "m001"
    assert templates.match_keywords("沙县小吃\n实付 12.00") is None


# --- validation: an author's mistake is a TemplateError naming the template ----------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"id": "x", "feilds": {}}, "feilds"),
        ({"id": "x", "fields": {"total": {"lables": ["实付"]}}}, "lables"),
        ({"id": "x", "fields": {"date": {"patterns": ["(?P<y>\\d{4}"]}}}, "bad regex"),
        ({"id": "x", "fields": {"date": {"patterns": ["(?P<y>\\d{4})-(?P<m>\\d\\d)"]}}}, "(?P<d>"),
        ({"id": "x", "fields": {"receipt_no": {"patterns": ["No\\d+"]}}}, "(?P<value>"),
        ({"id": "x", "keywords": ["[unclosed"]}, "bad regex"),
        ({"id": "x", "fields": {"payment_method": {"map": {"微信": "weixin"}}}}, "weixin"),
        ({"id": "x", "options": {"decimal_separator": ";"}}, "decimal_separator"),
        ({"id": "x", "options": {"digit_confusions": {"OO": "0"}}}, "one character"),
        ({"id": "x", "options": {"tax_rates": [6]}}, "write 6% as 0.06"),
        ({"id": "x", "fields": {"total": {"labels": [" - "]}}}, "no letters or digits"),
        (
            {"id": "x", "fields": {"total": {"labels": ["实付"], "exclude_labels": ["实 付"]}}},
            "twice",
        ),
    ],
)
def test_invalid_template_raises_template_error(spec: dict, message: str) -> None:
    with pytest.raises(TemplateError) as error:
        load_template(spec)
    assert error.value.template_id == "x"
    assert message in error.value.message


def test_dict_template_needs_an_id() -> None:
    with pytest.raises(TemplateError):
        load_template({"fields": {}})


def test_file_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "m042.yaml"
    path.write_text("id: m043\n", encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        load_template(path)
    assert error.value.template_id == "m042"


def test_unparsable_yaml_is_a_template_error(tmp_path: Path) -> None:
    path = tmp_path / "m042.yaml"
    path.write_text("fields: [unclosed\n", encoding="utf-8")
    with pytest.raises(TemplateError):
        load_template(path)


def test_directory_without_generic_template_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "m001.yaml").write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(TemplateError):
        TemplateSet.from_dir(tmp_path)


# --- merging: the merchant's rules first ------------------------------------------

GENERIC = {
    "id": "g",
    "fields": {"total": {"labels": ["实付", "应付"]}},
    "options": {"max_age_days": 30},
}
MERCHANT = {
    "id": "m",
    "version": 3,
    "fields": {"total": {"labels": ["支付金额"], "exclude_labels": ["实付"]}},
    "options": {"replace": [["支付全额", "支付金额"]]},
}


def test_merchant_labels_come_first_and_can_exclude_generic_ones() -> None:
    generic, merged = (
        load_template(GENERIC),
        load_template(MERCHANT).merged_over(load_template(GENERIC)),
    )
    receipt = rows("应付 100.00", "支付金额 90.00", "实付 95.00")

    assert extract(receipt, generic).value("total") == Decimal("95.00")
    result = extract(receipt, merged)
    assert result.value("total") == Decimal("90.00")
    assert result.fields["total"].source == "m:total:label:支付金额"
    assert (merged.id, merged.version) == ("m", 3)


def test_generic_label_still_applies_when_the_merchant_has_none_on_the_receipt() -> None:
    merged = load_template(MERCHANT).merged_over(load_template(GENERIC))
    result = extract(rows("应付 100.00", "实付 95.00"), merged)
    assert result.value("total") == Decimal("100.00")
    assert result.fields["total"].source == "g:total:label:应付"


def test_merchant_options_override_and_generic_options_remain() -> None:
    comma = load_template({"id": "eu", "options": {"decimal_separator": ","}})
    merged = comma.merged_over(load_template(GENERIC))
    assert merged.options.decimal_separator == ","
    assert merged.options.max_age_days == 30
    assert extract(rows("实付 1.234,50"), merged).value("total") == Decimal("1234.50")


def test_replace_pairs_repair_text_before_reading() -> None:
    merged = load_template(MERCHANT).merged_over(load_template(GENERIC))
    assert extract(rows("支付全额 90.00"), merged).value("total") == Decimal("90.00")


def test_merchant_template_changes_what_the_generic_one_reads() -> None:
    templates = TemplateSet.from_dir(TEMPLATES)
    receipt = rows(
        "海底捞火锅",
        "账单编号：HDL20261120088",
        "结账时间：2026-11-20 19:42:30",
        "实付金额：165.60",
    )
    today = dt.date(2026, 11, 25)
    assert extract(receipt, templates.generic, today=today).value("receipt_no") is None
    assert (
        extract(receipt, templates.for_merchant("m003"), today=today).value("receipt_no")
        == "HDL20261120088"
    )
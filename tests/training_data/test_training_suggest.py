"""Template proposals from labelled samples (training_data.loop.suggest)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import yaml

from merchants.parsing import extract
from merchants.parsing.timed import TimedPattern
from merchants.parsing.values import find_dates
from merchants.template_versions import parse
from ocr.types import Row
from receipts.reading import default_templates
from training_data.loop.suggest import suggest

TODAY = dt.date(2026, 11, 30)
ITEMS = ("雅诗兰黛 小棕瓶精华 50ml", "兰蔻 菁纯面霜 60ml", "娇韵诗 双萃精华 50ml",
         "SK-II 神仙水 230ml", "资生堂 红腰子精华 75ml")


@dataclass
class Sample:
    labels: dict[str, str]
    ocr_rows: list[dict]


def counter_ticket(i: int, *, listed: str = "1280.00", paid: str = "1088.00",
                   extra: tuple[str, ...] = (), receipt_no: bool = True) -> list[str]:
    """A department-store counter ticket (the generator's "counter" layout): the list price
    above the member price, paid later at the central cashier, so no payment line."""
    return [
        "星河百货 GALAXY MALL",
        "化妆品专柜 收银凭证",
        *([f"凭证号: 000123{i:02d}"] if receipt_no else []),
        f"日期 2026/11/{10 + i} 14:32:05",
        "收银员: 0107 机号: 03",
        f"{ITEMS[i % len(ITEMS)]} 1 {listed}",
        *extra,
        f"标价合计 {listed}",
        f"会员折后价 ￥{paid}",
        "请持此单到收银台付款",
        "会员卡号: 6228****1234",
        "谢谢惠顾，欢迎再次光临",
    ]


def sample(texts: list[str], **labels: str) -> Sample:
    return Sample(labels, [{"text": text, "score": 0.96} for text in texts])


def counter_samples(n: int = 10, **ticket) -> list[Sample]:
    return [
        sample(counter_ticket(i, **ticket), merchant="星河百货", date=f"2026-11-{10 + i}",
               time="14:32:05", total=ticket.get("paid", "1088.00"), receipt_no=f"000123{i:02d}")
        for i in range(n)
    ]


def proposed(body: str) -> dict:
    return yaml.safe_load(body) or {}


def test_suggest_proposes_the_counter_labels_date_pattern_and_keywords():
    found = suggest(counter_samples(), merchant_name="星河百货", english_name="Galaxy Mall")
    fields = proposed(found.body)["fields"]
    assert fields["total"]["labels"] == ["会员折后价"]
    assert fields["total"]["exclude_labels"] == ["标价合计"]
    assert fields["receipt_no"]["labels"] == ["凭证号"]
    [pattern] = fields["date"]["patterns"]
    [date_found] = find_dates("日期 2026/11/20 14:32:05", [TimedPattern(pattern)])
    assert date_found.value == dt.date(2026, 11, 20)
    assert proposed(found.body)["keywords"] == ["星河百货|Galaxy\\ Mall"]
    assert found.evidence == [
        "小票上印有商户名“星河百货”或“Galaxy Mall”（10/10 个样本）",
        "实付金额前的标签为“会员折后价”（10/10 个样本）",
        "“标价合计”后的金额大于实付金额，应排除（10/10 个样本）",
        "小票号前的标签为“凭证号”（10/10 个样本）",
        "日期按“年/月/日”书写，如“2026/11/10”（10/10 个样本）",
    ]


def test_suggest_body_is_commented_yaml_the_template_editor_accepts():
    found = suggest(counter_samples(), merchant_name="星河百货")
    lines = found.body.splitlines()
    assert lines[0].startswith("# 由 10 个标注样本提出")
    assert sum(line.strip() == "# 10/10 个样本" for line in lines) == len(found.evidence) == 5
    template = parse("m002", found.body)
    assert template.matches("星河百货 GALAXY MALL\n会员折后价 1088.00")


def test_suggest_template_reads_the_member_price_where_the_generic_reads_the_list_price():
    body = suggest(counter_samples(), merchant_name="星河百货").body
    rows = [Row(text, 0.96) for text in counter_ticket(10)]
    generic = default_templates().for_merchant("m002")
    store = default_templates().replacing([parse("m002", body)]).for_merchant("m002")

    assert extract(rows, generic, today=TODAY).value("total") == Decimal("1280.00")
    read = extract(rows, store, today=TODAY)
    assert read.value("total") == Decimal("1088.00")
    assert read.value("receipt_no") == "00012310"
    assert read.value("date") == dt.date(2026, 11, 20)
    assert read.fields["total"].source == "m002:total:label:会员折后价"


def test_suggest_skips_samples_without_the_label():
    samples = counter_samples()
    for unlabelled in samples[6:]:
        del unlabelled.labels["total"]
        del unlabelled.labels["receipt_no"]
        unlabelled.ocr_rows = [r for r in unlabelled.ocr_rows if "会员折后价" not in r["text"]]
    found = suggest(samples, merchant_name="星河百货")
    assert "实付金额前的标签为“会员折后价”（6/6 个样本）" in found.evidence
    assert "“标价合计”后的金额大于实付金额，应排除（6/6 个样本）" in found.evidence
    assert "小票号前的标签为“凭证号”（6/6 个样本）" in found.evidence
    assert "日期按“年/月/日”书写，如“2026/11/10”（10/10 个样本）" in found.evidence


def test_suggest_leaves_out_what_only_three_of_ten_samples_show():
    samples = counter_samples()
    for i, shown in enumerate(samples):
        on_three = {"receipt_no": i < 3, "extra": ("原价合计 1500.00",) if i < 3 else ()}
        shown.ocr_rows = sample(counter_ticket(i, **on_three)).ocr_rows
    found = suggest(samples, merchant_name="星河百货")
    fields = proposed(found.body)["fields"]
    assert fields["total"]["exclude_labels"] == ["标价合计"]
    assert "receipt_no" not in fields
    assert not any("原价合计" in sentence or "小票号" in sentence for sentence in found.evidence)


def test_suggest_takes_the_label_from_the_row_above_a_lone_amount():
    texts = ["星河百货", "标价合计 1280.00", "会员折后价(元)", "1088.00", "谢谢惠顾"]
    samples = [sample(texts, total="1088.00") for _ in range(4)]
    fields = proposed(suggest(samples, merchant_name="星河百货").body)["fields"]
    assert fields["total"]["labels"] == ["会员折后价"]


def test_suggest_keeps_cash_handed_over_out_of_the_exclusions():
    cash = ("现金 1100.00", "找零 12.00")
    samples = [
        sample([*counter_ticket(i)[:-3], *cash], date=f"2026-11-{10 + i}", total="1088.00")
        for i in range(10)
    ]
    fields = proposed(suggest(samples, merchant_name="星河百货").body)["fields"]
    assert fields["total"]["labels"] == ["会员折后价"]
    assert fields["total"]["exclude_labels"] == ["标价合计"]


def test_suggest_proposes_keywords_only_when_most_samples_print_the_name():
    def with_name_on(printed: int) -> list[Sample]:
        samples = counter_samples()
        for anonymous in samples[printed:]:
            anonymous.ocr_rows = anonymous.ocr_rows[1:]
        return samples

    assert "keywords" in proposed(suggest(with_name_on(8), merchant_name="星河百货").body)
    assert "keywords" not in proposed(suggest(with_name_on(7), merchant_name="星河百货").body)


def test_suggest_with_no_labelled_samples_returns_an_empty_template():
    for samples in ([], [sample(counter_ticket(0))], [Sample({"total": "1088.00"}, [])]):
        found = suggest(samples, merchant_name="星河百货")
        assert found.body.startswith("# 由 0 个标注样本提出")
        assert proposed(found.body) == {}
        parse("m002", found.body)
        assert found.evidence == ["没有带标注的样本，无法提出模板建议"]

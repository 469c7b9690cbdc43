import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import AppError
from merchants.types import Extraction, FieldValue, MerchantMatch
from training_data.evaluate.label_registry import in_registry_spelling, profiles_from_labels
from training_data.evaluate.report import format_table, per_merchant, reshoots, worst_cases
from training_data.evaluate.run import FIXED, Sample, evaluate, load_samples, with_label_fixes
from training_data.loop.judge import FIELDS
from training_data.loop.labels import load_labels

ROOT = Path(__file__).resolve().parents[2]
SROIE_LABELS = ROOT.parent / "shared" / "datasets" / "sroie-train" / "labels.jsonl"
NAMES = {"m1": "星巴克", "m2": "MR. D.I.Y. (KUCHAI) SDN BHD"}


@dataclass
class FakeReading:
    merchant: MerchantMatch
    extraction: Extraction
    auto_approvable: bool

    @property
    def confidence(self) -> dict[str, float]:
        scores = {name: fv.confidence for name, fv in self.extraction.fields.items()}
        return {"merchant": self.merchant.confidence, **scores}


def fake_reading(
    merchant_id, day=None, clock=None, total=None, auto=False, conf=0.9
) -> FakeReading:
    values = {"date": day, "time": clock, "total": total}
    fields = {k: FieldValue(v, conf, "fake") for k, v in values.items() if v is not None}
    match = MerchantMatch(merchant_id, NAMES.get(merchant_id), 90.0, 30.0, 0.9)
    return FakeReading(match, Extraction("fake", fields), auto)


class FakeReader:
    """Returns the reading registered for the image's bytes, or raises the registered error."""

    def __init__(self, by_bytes):
        self.by_bytes = by_bytes
        self.todays = []

    def read(self, data: bytes, *, today=None):
        self.todays.append(today)
        result = self.by_bytes[data]
        if isinstance(result, Exception):
            raise result
        return result


def samples_for(tmp_path, cases) -> tuple[list[Sample], FakeReader]:
    samples, by_bytes = [], {}
    for i, (label, result) in enumerate(cases):
        image = tmp_path / f"r{i}.jpg"
        image.write_bytes(f"image {i}".encode())
        samples.append(Sample(image, {"file": image.name, **label}))
        by_bytes[image.read_bytes()] = result
    return samples, FakeReader(by_bytes)


def run(tmp_path, cases):
    samples, reader = samples_for(tmp_path, cases)
    report, outcomes = evaluate(samples, reader, NAMES)
    return report, outcomes


SROIE_LABEL = {"merchant": "MR. D. I. Y. (KUCHAI) SDN BHD", "date": "16-03-18", "total": "RM 53.30"}
ZH_LABEL = {"merchant": "星巴克", "date": "2026-11-20", "time": "14:32:05", "total": "128.00"}


def test_each_receipt_can_be_judged_as_uploaded_the_day_after_its_labelled_date(tmp_path):
    reading = fake_reading("m2", date(2018, 3, 16), None, Decimal("53.3"), auto=True)
    undated = {"merchant": "星巴克", "total": "128.00"}
    samples, reader = samples_for(tmp_path, [(SROIE_LABEL, reading), (undated, reading)])
    evaluate(samples, reader, NAMES, as_uploaded=True)
    assert reader.todays == [date(2018, 3, 17), None]  # None: the reader's own today
    evaluate(samples, reader, NAMES)
    assert reader.todays[2:] == [None, None]


def test_printed_labels_match_normalised_readings(tmp_path):
    reading = fake_reading("m2", date(2018, 3, 16), None, Decimal("53.3"), auto=True)
    report, _ = run(tmp_path, [(SROIE_LABEL, reading)])
    assert {name: s["correct"] for name, s in report["fields"].items()} == {
        "merchant": 1,
        "date": 1,
        "total": 1,
        "all": 1,
    }
    assert "time" not in report["fields"]  # no label has a time: left out, not 0 of 0


def test_accuracy_auto_approve_rate_and_precision(tmp_path):
    right = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("128.00"), auto=True)
    wrong_total = fake_reading(
        "m1", date(2026, 11, 20), time(14, 32, 5), Decimal("28.00"), auto=True
    )
    wrong_merchant = fake_reading(
        "m2", date(2026, 11, 20), time(14, 32), Decimal("128"), auto=False
    )
    unknown_store = fake_reading(None, date(2026, 11, 21), None, Decimal("128"), auto=False)
    report, outcomes = run(
        tmp_path,
        [
            (ZH_LABEL, right),
            (ZH_LABEL, wrong_total),
            (ZH_LABEL, wrong_merchant),
            (ZH_LABEL, unknown_store),
        ],
    )
    fields = report["fields"]
    assert report["n"] == 4
    assert (fields["merchant"]["correct"], fields["merchant"]["accuracy"]) == (2, 0.5)
    assert (fields["date"]["correct"], fields["date"]["accuracy"]) == (3, 0.75)
    assert fields["time"]["correct"] == 2  # 14:32 is not the printed 14:32:05
    assert (fields["total"]["correct"], fields["total"]["accuracy"]) == (3, 0.75)
    assert (fields["all"]["correct"], fields["all"]["accuracy"]) == (1, 0.25)
    assert report["auto_approve"] == {"rate": 0.5, "precision": 0.5}
    assert [o.correct["total"] for o in outcomes] == [True, False, True, True]


def test_fields_are_judged_only_where_labelled(tmp_path):
    no_total = {"merchant": "星巴克", "date": "2026/11/20"}
    reading = fake_reading("m1", date(2026, 11, 20), None, Decimal("5"), auto=True)
    report, _ = run(tmp_path, [(ZH_LABEL | {"total": ""}, reading), (no_total, reading)])
    assert "total" not in report["fields"]
    assert "all" not in report["fields"]  # needs merchant, date and total labelled
    assert report["fields"]["date"]["n"] == 2
    assert report["auto_approve"] == {"rate": 1.0, "precision": None}


def test_transaction_ids_are_judged_every_digit_and_spurious_ones_are_counted(tmp_path):
    tx = "4200000123202611201234567890"
    readings = []
    for found in (tx, tx[:-1] + "1", None, tx):
        reading = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("128.00"))
        if found:
            reading.extraction.fields["transaction_id"] = FieldValue(found, 0.9, "fake")
        readings.append(reading)
    labels = [ZH_LABEL | {"transaction_id": tx}] * 3 + [ZH_LABEL]  # the last prints none
    report, _ = run(tmp_path, list(zip(labels, readings, strict=True)))
    assert report["fields"]["transaction_id"] == {"correct": 1, "n": 3, "accuracy": 0.3333}
    assert report["transaction_id_unprinted"] == 1
    table = format_table(report).splitlines()
    assert ["transaction_id", "1", "3", "33.3%"] in [line.split() for line in table]
    assert "transaction ids read where none is printed: 1" in table


def test_minute_only_label_accepts_any_second(tmp_path):
    label = ZH_LABEL | {"time": "14:32"}
    report, _ = run(tmp_path, [(label, fake_reading("m1", clock=time(14, 32, 59)))])
    assert report["fields"]["time"]["correct"] == 1


def test_refused_image_counts_as_wrong_everywhere(tmp_path):
    refused = AppError("image_corrupt", "图片已损坏")
    right = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("128"), auto=True)
    report, outcomes = run(tmp_path, [(ZH_LABEL, refused), (ZH_LABEL, right)])
    assert report["errors"] == 1
    assert outcomes[0].error == "image_corrupt"
    assert report["fields"]["all"]["correct"] == 1
    assert report["auto_approve"] == {"rate": 0.5, "precision": 1.0}
    assert "receipts the reader refused: 1" in format_table(report)


def test_registry_from_labels_has_one_store_per_normalised_name():
    labels = [
        {"file": "a", "merchant": "MR. D.I.Y. (KUCHAI) SDN BHD"},
        {"file": "b", "merchant": "mr d.i.y. (kuchai) sdn. bhd."},
        {"file": "c", "merchant": "星巴克"},
        {"file": "d", "merchant": ""},
    ]
    profiles = profiles_from_labels(labels)
    assert [p.name for p in profiles] == ["MR. D.I.Y. (KUCHAI) SDN BHD", "星巴克"]
    assert len({p.id for p in profiles}) == 2
    assert [p.id for p in profiles_from_labels(reversed(labels))] == [
        p.id for p in reversed(profiles)
    ]


def test_label_spellings_of_one_store_become_one_store_with_aliases(tmp_path):
    labels = [
        {"file": "a.jpg", "merchant": "MR. D.I.Y. (M) SDN BHD"},
        {"file": "b.jpg", "merchant": "MR. D.I.Y. SDN BHD"},
        {"file": "c.jpg", "merchant": "MR. D.I.Y. (M) SDN BHD"},
        {"file": "d.jpg", "merchant": "TEO HENG STATIONERY & BOOKS"},
        {"file": "e.jpg", "merchant": "TED HENG STATIONERY & BOOKS"},
        {"file": "f.jpg", "merchant": "DOMINO'S PIZZA"},
        {"file": "g.jpg", "merchant": "DOMINO'S PIZZA TAMAN UNIVERSITI"},  # another shop
        {"file": "h.jpg", "merchant": "AEON CO. (M) BHD"},
        {"file": "i.jpg", "merchant": "AEON CO. (M) SDN BHD"},  # legal words differ only
    ]
    profiles = profiles_from_labels(labels)
    by_name = {p.name: p.aliases for p in profiles}
    assert by_name["MR. D.I.Y. (M) SDN BHD"] == ("MR. D.I.Y. SDN BHD",)  # the usual spelling
    assert len(profiles) == 5 and "DOMINO'S PIZZA TAMAN UNIVERSITI" in by_name
    assert by_name["AEON CO. (M) BHD"] == ("AEON CO. (M) SDN BHD",)
    samples = in_registry_spelling([Sample(tmp_path / lb["file"], lb) for lb in labels], profiles)
    assert [s.label["merchant"] for s in samples[:3]] == ["MR. D.I.Y. (M) SDN BHD"] * 3
    assert samples[3].label["merchant"] == samples[4].label["merchant"]
    assert [s.label["merchant"] for s in samples[5:7]] == ["DOMINO'S PIZZA",
                                                           "DOMINO'S PIZZA TAMAN UNIVERSITI"]
    assert samples[8].label["merchant"] == "AEON CO. (M) BHD"


def test_missing_images_stop_before_reading(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"file": "gone.jpg", "total": "1.00"}\n')
    with pytest.raises(SystemExit, match=r"gone\.jpg"):
        load_samples(tmp_path, labels, None)


def test_label_fixes_correct_only_the_fields_they_name(tmp_path):
    samples, reader = samples_for(tmp_path, [
        (SROIE_LABEL, fake_reading("m2", date(2018, 3, 16), total=Decimal("50.00"))),
        (ZH_LABEL, fake_reading("m1", date(2026, 11, 20), total=Decimal("128.00"))),
    ])
    fixes = tmp_path / "fixes.jsonl"
    fixes.write_text(json.dumps(
        {"file": "r0.jpg", "total": "50.00", "was": "RM 53.30", "why": "the sub-total"}) + "\n")
    labels = with_label_fixes([s.label for s in samples], fixes)
    assert sum(1 for label in labels if FIXED in label) == 1
    assert labels[0] == {**samples[0].label, "total": "50.00", FIXED: {"total": "RM 53.30"}}
    assert labels[1] == samples[1].label
    fixed = [Sample(s.image, label) for s, label in zip(samples, labels, strict=True)]
    before, _ = evaluate(samples, reader, NAMES)
    after, _ = evaluate(fixed, reader, NAMES)
    assert (before["fields"]["total"]["correct"], after["fields"]["total"]["correct"]) == (1, 2)


def test_label_fixes_for_another_set_are_refused(tmp_path):
    samples, _ = samples_for(tmp_path, [(SROIE_LABEL, None)])
    fixes = tmp_path / "fixes.jsonl"
    fixes.write_text('{"file": "sroie-train-186.jpg", "total": "12.40"}\n')
    with pytest.raises(SystemExit, match=r"sroie-train-186\.jpg"):
        with_label_fixes([s.label for s in samples], fixes)


def test_label_fixes_apply_to_the_whole_set_before_the_limit(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(
        json.dumps({"file": f"r{i}.jpg", "total": "1.00"}) + "\n" for i in range(3)))
    for i in range(3):
        (tmp_path / f"r{i}.jpg").write_bytes(b"image")
    fixes = tmp_path / "fixes.jsonl"
    fixes.write_text('{"file": "r2.jpg", "total": "2.00", "was": "1.00", "why": "misread"}\n')
    first_two = load_samples(tmp_path, labels, 2, fixes)
    assert [s.label["total"] for s in first_two] == ["1.00", "1.00"]
    assert load_samples(tmp_path, labels, None, fixes)[2].label["total"] == "2.00"


def test_bundled_sroie_label_fixes_name_the_published_label_and_why():
    fixes = ROOT / "training_data" / "label_fixes" / "sroie-train.jsonl"
    lines = [json.loads(line) for line in fixes.read_text(encoding="utf-8").splitlines()]
    assert lines and all({"file", "was", "why"} <= set(fix) for fix in lines)
    assert all(set(fix) - {"file", "was", "why"} == {"total"} for fix in lines)
    if not SROIE_LABELS.is_file():
        pytest.skip(f"SROIE labels not at {SROIE_LABELS}: the published values are not checked")
    published = {label["file"]: label for label in load_labels(SROIE_LABELS)}
    assert all(published[fix["file"]]["total"] == fix["was"] for fix in lines)


def reader_unavailable() -> str | None:
    try:
        from receipts.reading import Reader

        Reader([])
    except Exception as exc:  # noqa: BLE001 - any failure means the real reader is not ready
        return f"receipts.reading.Reader not usable yet ({type(exc).__name__}: {exc})"
    return None


@pytest.mark.ocr
def test_cli_json_prints_one_report_object(tmp_path):
    if reason := reader_unavailable():
        pytest.skip(reason)
    from training_data.synth import make_dataset

    merchants = json.loads((ROOT / "merchants/demo_mall.json").read_text())
    labels = make_dataset(tmp_path, 1, merchants, seed=3, strength=0.2)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training_data.evaluate",
            "--images",
            str(tmp_path),
            "--labels",
            str(labels),
            "--merchants",
            str(ROOT / "merchants/demo_mall.json"),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 1
    labelled = {name for name in load_labels(labels)[0] if name in FIELDS}
    assert labelled >= {"merchant", "date", "time", "total", "receipt_no"}
    assert set(report["fields"]) == labelled | {"all"}
    assert set(report["auto_approve"]) == {"rate", "precision"}
    assert report["seconds_per_receipt"] > 0


def test_per_merchant_reports_each_labelled_store(tmp_path):
    right = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("128"), auto=True)
    wrong_total = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("12.8"))
    diy = fake_reading("m2", date(2018, 3, 16), None, Decimal("53.30"), auto=True)
    _, outcomes = run(tmp_path, [(ZH_LABEL, right), (ZH_LABEL, wrong_total), (SROIE_LABEL, diy)])
    report = per_merchant(outcomes)
    assert sorted(report) == sorted([ZH_LABEL["merchant"], SROIE_LABEL["merchant"]])
    starbucks = report[ZH_LABEL["merchant"]]
    assert (starbucks["n"], starbucks["fields"]["all"]["correct"]) == (2, 1)
    assert starbucks["auto_approve"]["rate"] == 0.5
    assert report[SROIE_LABEL["merchant"]]["fields"]["all"]["accuracy"] == 1.0


def test_worst_cases_put_wrong_auto_approvals_first(tmp_path):
    wrong_everything = fake_reading(None)
    wrong_total_approved = fake_reading(
        "m1", date(2026, 11, 20), time(14, 32, 5), Decimal("12.80"), auto=True
    )
    right = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal("128"), auto=True)
    _, outcomes = run(
        tmp_path,
        [(ZH_LABEL, wrong_everything), (ZH_LABEL, wrong_total_approved), (ZH_LABEL, right)],
    )
    cases = worst_cases(outcomes, 5)
    assert [c["file"] for c in cases] == ["r1.jpg", "r0.jpg"]
    assert cases[0]["wrong"] == ["total"] and cases[0]["auto_approved"] is True
    assert cases[0]["expected"]["total"] == "128.00" and cases[0]["got"]["total"] == "12.80"
    assert cases[1]["wrong"] == ["merchant", "date", "time", "total"]
    assert worst_cases(outcomes, 1) == cases[:1]


def test_reliability_bins_accuracy_by_confidence(tmp_path):
    sure_right = fake_reading("m1", date(2026, 11, 20), None, Decimal("128"), conf=0.97)
    sure_wrong = fake_reading("m1", date(2026, 11, 20), None, Decimal("12.8"), conf=0.96)
    doubtful = fake_reading("m1", date(2026, 11, 20), None, Decimal("128"), conf=0.6)
    report, _ = run(tmp_path,
                    [(ZH_LABEL, sure_right), (ZH_LABEL, sure_wrong), (ZH_LABEL, doubtful)])
    totals = {(row["from"], row["to"]): row for row in report["reliability"]["total"]}
    assert totals[(0.95, 0.99)]["n"] == 2 and totals[(0.95, 0.99)]["accuracy"] == 0.5
    assert totals[(0.5, 0.7)]["n"] == 1 and totals[(0.5, 0.7)]["accuracy"] == 1.0
    assert sum(row["n"] for row in report["reliability"]["total"]) == 3


def test_reshoot_pairs_say_what_dedupe_makes_of_them_and_what_would_be_credited_twice(
    tmp_path
):
    def shot(number: str, total: str, auto: bool = True) -> FakeReading:
        read = fake_reading("m1", date(2026, 11, 20), time(14, 32, 5), Decimal(total), auto=auto)
        read.extraction.fields["receipt_no"] = FieldValue(number, 0.9, "fake")
        return read

    cases = [
        (ZH_LABEL, shot("XS2026112001", "128.00")),
        (ZH_LABEL | {"reshoot_of": "r0.jpg"}, shot("X52026112001", "128.00")),  # same number
        (ZH_LABEL, shot("SO2026112077", "128.00")),
        (ZH_LABEL | {"reshoot_of": "r2.jpg"}, shot("S02026112O71", "12.80")),  # one edit
        (ZH_LABEL, shot("AB99", "128.00")),
        (ZH_LABEL | {"reshoot_of": "r4.jpg"}, shot("CD11", "12.80")),  # nothing alike
    ]
    samples, reader = samples_for(tmp_path, cases)
    report, outcomes = evaluate(samples, reader, NAMES)
    found = reshoots(outcomes, [s.label for s in samples])
    assert found == {"pairs": 3, "kinds": {"receipt_no": 1, "near_receipt_no": 1, "unique": 1},
                     "credited_twice": ["r5.jpg"]}
    assert "reshoots: 3 pairs" in format_table({**report, "reshoots": found})

"""`python app.py report daily`, `rules show|publish` and `points nightly` against a real
database."""

import csv
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app import main
from core.clock import local_today
from core.db import session_scope
from dedupe.service import PurchaseFields
from points import ledger
from points.models import LedgerEntry, Member
from receipts import manual


def _enter(member: int, merchant: str, total: str, receipt_no: str) -> str:
    with session_scope() as db_session:
        return manual.enter_manual(
            db_session=db_session, member_id=member, actor="staff:zhang", payment_method=None,
            fields=PurchaseFields(merchant, date(2026, 11, 20), None, Decimal(total), receipt_no),
            today=date(2026, 11, 23),
        ).id


def test_cli_report_daily_writes_the_ledger_of_the_day(member, demo_mall, tmp_path, capsys):
    _enter(member, "m002", "45.00", "1")
    _enter(member, "m002", "15.90", "2")
    _enter(member, "m011", "3999.00", "3")  # 0.5 point per yuan
    refunded = _enter(member, "m011", "100.00", "4")
    with session_scope() as db_session:
        manual.reverse(db_session=db_session, receipt_id=refunded, actor="staff:li", reason="退货")
    out = tmp_path / "daily.csv"
    assert main(["report", "daily", "--date", local_today().isoformat(), "--out", str(out)]) == 0
    rows = {r["商户编号"]: r for r in csv.DictReader(out.read_text("utf-8-sig").splitlines())}
    with session_scope() as db_session:
        entries = db_session.scalars(select(LedgerEntry)).all()
    for merchant in ("m002", "m011"):
        mine = [e for e in entries if e.merchant_id == merchant]
        assert int(rows[merchant]["发放积分"]) == sum(e.points for e in mine if e.kind == "earn")
        reversed_points = -sum(e.points for e in mine if e.kind == "reverse")
        assert int(rows[merchant]["冲红积分"]) == reversed_points
    assert (rows["m002"]["发放积分"], rows["m002"]["消费金额"]) == ("60", "60.90")
    assert (rows["m011"]["发放积分"], rows["m011"]["冲红积分"], rows["m011"]["净积分"]) == (
        "2049", "50", "1999")
    assert rows["合计"]["净积分"] == str(sum(e.points for e in entries))
    capsys.readouterr()
    main(["report", "daily", "--date", (local_today() - timedelta(days=1)).isoformat()])
    assert capsys.readouterr().out.splitlines()[1].startswith("合计,,0,")


def test_cli_nightly_expires_due_points_and_reviews_tiers(member, capsys):
    with session_scope() as db_session:
        ledger.post(db_session, ledger.Movement(
            "adjust", 50, "adjust:old", "test", "补录", expires_on=date(2025, 12, 31)
        ), member_id=member)
        member_row = db_session.get(Member, member)
        member_row.tier, member_row.tier_expires_on = "gold", date(2026, 1, 1)
    assert main(["points", "nightly", "--date", "2026-01-02"]) == 0
    assert "1 lots expired" in capsys.readouterr().out
    with session_scope() as db_session:
        row = db_session.get(Member, member)
        assert (row.points_balance, row.tier) == (0, "silver")
        kinds = db_session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == ["adjust", "expire"]


def test_cli_rules_publish_then_show(tmp_path, db_url, capsys):
    future = local_today() + timedelta(days=7)
    rules = tmp_path / "rules.yaml"
    main(["rules", "show"])
    rules.write_text(capsys.readouterr().out.replace("earn_rate: '1'", "earn_rate: '3'"), "utf-8")
    assert main(["rules", "publish", str(rules), "--effective", future.isoformat()]) == 0
    assert "rule version 1" in capsys.readouterr().out
    main(["rules", "show", "--date", future.isoformat()])
    shown = capsys.readouterr().out
    assert shown.startswith("# rule version 1") and "earn_rate: '3'" in shown
    rules.write_text("tiers: {levels: []}\n", "utf-8")
    assert main(["rules", "publish", str(rules), "--effective", future.isoformat()]) == 2
    assert "rules_invalid" in capsys.readouterr().err

"""Daily (T+1) reconciliation per merchant: what the ledger booked on one day."""

import csv
import io
from dataclasses import astuple, dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from merchants.models import Merchant
from points.models import LedgerEntry

HEADER = ("商户编号", "商户名称", "积分小票数", "消费金额", "发放积分", "冲红笔数", "冲红金额",
          "冲红积分", "净积分")


@dataclass(frozen=True)
class MerchantDay:
    merchant_id: str
    merchant: str
    receipts: int
    amount: Decimal
    points_issued: int
    reversals: int
    reversed_amount: Decimal
    points_reversed: int

    @property
    def net_points(self) -> int:
        return self.points_issued - self.points_reversed


def daily(db_session: Session, day: date) -> list[MerchantDay]:
    """Earnings and reversals booked on ``day``, one row per merchant."""
    earn = LedgerEntry.kind == "earn"
    reverse = LedgerEntry.kind == "reverse"

    def total(condition, column):
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    query = (
        select(
            LedgerEntry.merchant_id, Merchant.name,
            total(earn, 1), total(earn, LedgerEntry.amount), total(earn, LedgerEntry.points),
            total(reverse, 1), total(reverse, LedgerEntry.amount),
            -total(reverse, LedgerEntry.points),
        )
        .join(Merchant, Merchant.id == LedgerEntry.merchant_id)
        .where(LedgerEntry.booked_on == day, LedgerEntry.kind.in_(("earn", "reverse")))
        .group_by(LedgerEntry.merchant_id, Merchant.name)
        .order_by(LedgerEntry.merchant_id)
    )
    return [
        MerchantDay(mid, name, int(n), _money(amt), int(pts), int(rn), _money(ramt), int(rpts))
        for mid, name, n, amt, pts, rn, ramt, rpts in db_session.execute(query)
    ]


def to_csv(rows: list[MerchantDay]) -> str:
    """CSV with a totals row (合计); Excel opens it as UTF-8 thanks to the BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow((*astuple(row), row.net_points))
    writer.writerow((
        "合计", "",
        sum(r.receipts for r in rows), sum((r.amount for r in rows), Decimal("0.00")),
        sum(r.points_issued for r in rows), sum(r.reversals for r in rows),
        sum((r.reversed_amount for r in rows), Decimal("0.00")),
        sum(r.points_reversed for r in rows), sum(r.net_points for r in rows),
    ))
    return "\ufeff" + out.getvalue()


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))

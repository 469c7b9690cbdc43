"""The service desk's dashboard figures: the queue and today's decisions per staff member."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_midnight
from core.db import utcnow
from receipts.models import Receipt, ReceiptEvent, Status

# (from_status, to_status or reason) → column of the dashboard
_DECISIONS = {
    (Status.NEEDS_REVIEW, Status.APPROVED): "approved",
    (Status.NEEDS_REVIEW, Status.REJECTED): "rejected",
    (Status.PROCESSING, Status.APPROVED): "manual",
    (Status.APPROVED, Status.REVERSED): "reversed",
}


@dataclass
class StaffDay:
    actor: str
    approved: int = 0
    rejected: int = 0
    manual: int = 0
    reversed: int = 0

    @property
    def total(self) -> int:
        return self.approved + self.rejected + self.manual + self.reversed


@dataclass(frozen=True)
class Board:
    day: date
    queue_length: int
    oldest_age: timedelta | None
    decisions: list[StaffDay]

    @property
    def oldest_age_text(self) -> str:
        if self.oldest_age is None:
            return "无"
        minutes = int(self.oldest_age.total_seconds() // 60)
        return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes >= 60 else f"{minutes} 分钟"


def board(db_session: Session, *, day: date, now: datetime | None = None) -> Board:
    count, oldest = db_session.execute(
        select(func.count(), func.min(Receipt.created_at))
        .where(Receipt.status == Status.NEEDS_REVIEW)
    ).one()
    return Board(
        day=day,
        queue_length=int(count),
        oldest_age=(now or utcnow()) - oldest if oldest else None,
        decisions=_decisions(db_session, day),
    )


def _decisions(db_session: Session, day: date) -> list[StaffDay]:
    start = local_midnight(day)
    events = db_session.execute(
        select(ReceiptEvent.actor, ReceiptEvent.from_status, ReceiptEvent.to_status).where(
            ReceiptEvent.actor.like("staff:%"),
            ReceiptEvent.created_at >= start,
            ReceiptEvent.created_at < start + timedelta(days=1),
        )
    )
    by_actor: dict[str, StaffDay] = {}
    for actor, from_status, to_status in events:
        column = _DECISIONS.get((from_status, to_status))
        if column:
            row = by_actor.setdefault(actor, StaffDay(actor.removeprefix("staff:")))
            setattr(row, column, getattr(row, column) + 1)
    return sorted(by_actor.values(), key=lambda d: (-d.total, d.actor))

"""Ops API: reconciliation reports and the points rule versions."""

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from api.auth import CurrentStaff, RequireRole
from api.deps import DbSession, file_content
from api.schemas import RulesPublish, RulesRead
from core.clock import local_today
from points import report, versions

router = APIRouter(
    prefix="/api/v1/ops",
    tags=["ops"],
    dependencies=[Depends(RequireRole("ops", "admin"))],
)


@router.get("/reports/daily", responses=file_content("application/json", "text/csv"))
def daily_report(
    date: dt.date, db_session: DbSession, format: Literal["json", "csv"] = "json"
) -> Response:
    """Per-merchant receipts, amount, points issued and reversals booked on ``date``."""
    rows = report.daily(db_session, date)
    if format == "csv":
        return Response(
            report.to_csv(rows), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="points-{date}.csv"'},
        )
    items = [{**jsonable_encoder(r), "net_points": r.net_points} for r in rows]
    return JSONResponse({"date": date.isoformat(), "merchants": items})


@router.get("/rules", response_model=RulesRead)
def rules_in_force(db_session: DbSession, date: dt.date | None = None) -> RulesRead:
    version, rules = versions.in_force(db_session, date or local_today())
    return RulesRead(version=version, rules=rules.model_dump(mode="json"))


@router.post("/rules", response_model=RulesRead, status_code=201)
def publish_rules(body: RulesPublish, staff: CurrentStaff, db_session: DbSession) -> RulesRead:
    """Publish a new rule version; it applies to purchases from ``effective_from``."""
    row = versions.publish(
        db_session, text=body.text, effective_from=body.effective_from, actor=staff.actor,
        today=local_today(), note=body.note,
    )
    return RulesRead(version=row.version, rules=row.body)

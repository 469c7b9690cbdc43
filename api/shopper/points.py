"""My membership: who I am, balance, tier and growth, what expires, the points history;
and what the phone page needs to know about this server."""

from fastapi import APIRouter, Query

from accounts.settings import get_wechat_settings
from api.auth import CurrentMemberId
from api.deps import MAX_ROW_ID, DbSession
from api.presenters import ledger_entry_read
from api.schemas import (
    ExpiringRead,
    HistoryPage,
    NextTierRead,
    PointsRead,
    TierRead,
)
from api.shopper.auth import member_brief
from api.shopper.schemas import ClientConfig, MemberBrief
from api.shopper.settings import get_shopper_settings
from core.clock import local_today
from ocr.settings import get_ocr_settings
from points import account, ledger
from points import service as points_service

router = APIRouter(prefix="/api/v1", tags=["shopper"])


@router.get("/client-config", response_model=ClientConfig)
def client_config() -> ClientConfig:
    """Limits the phone page applies before uploading; whether a test sign-in exists."""
    return ClientConfig(dev_sign_in=get_wechat_settings().fake,
                        photo_long_side=get_shopper_settings().photo_long_side,
                        max_upload_bytes=get_ocr_settings().max_upload_bytes)


@router.get("/members/me", response_model=MemberBrief)
def me(member_id: CurrentMemberId, db_session: DbSession) -> MemberBrief:
    return member_brief(points_service.get_or_raise(db_session=db_session, member_id=member_id))


@router.get("/members/me/points", response_model=PointsRead)
def my_points(member_id: CurrentMemberId, db_session: DbSession) -> PointsRead:
    """Balance, tier and progress to the next, what expires next, recent entries."""
    member = points_service.get_or_raise(db_session=db_session, member_id=member_id)
    summary = account.summary(db_session, member, today=local_today())
    progress = summary.progress
    following = progress.next_tier
    return PointsRead(
        member_code=member.code,
        balance=summary.balance,
        tier=TierRead(**progress.tier.model_dump(include={"code", "name", "factor"})),
        growth=progress.growth,
        tier_expires_on=progress.expires_on,
        next_tier=NextTierRead(
            **following.model_dump(include={"code", "name", "factor"}),
            growth_needed=progress.growth_needed,
        ) if following else None,
        expiring=ExpiringRead(points=summary.expiring.points, on=summary.expiring.on)
        if summary.expiring else None,
        history=[ledger_entry_read(e) for e in ledger.history(db_session, member_id, limit=20)],
    )


@router.get("/members/me/points/history", response_model=HistoryPage)
def my_points_history(
    member_id: CurrentMemberId, db_session: DbSession,
    before_id: int | None = Query(default=None, ge=1, le=MAX_ROW_ID),
    limit: int = Query(default=20, ge=1, le=100),
) -> HistoryPage:
    """Every ledger entry with its explanation, newest first; page with ``before_id``."""
    entries = ledger.history(db_session, member_id, limit=limit, before_id=before_id)
    return HistoryPage(
        items=[ledger_entry_read(e) for e in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )

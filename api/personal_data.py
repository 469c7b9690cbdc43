"""Personal data (PIPL): a member exports or erases their own data; the service desk does
it for a member who asks at the counter (each desk action is written to the audit log)."""

from fastapi import APIRouter, Depends

from accounts import service as accounts
from api.auth import CurrentMemberId, CurrentStaff, RequireRole
from api.deps import DbSession
from api.schemas import ErasureRead, PersonalDataExport
from points import service as points_service
from points.models import Member
from receipts import personal_data

member_router = APIRouter(prefix="/api/v1/members/me", tags=["shopper"])
desk_router = APIRouter(prefix="/api/v1/desk/members", tags=["desk"],
                        dependencies=[Depends(RequireRole("desk", "admin"))])


@member_router.get("/export", response_model=PersonalDataExport, response_model_by_alias=True)
def export_mine(member_id: CurrentMemberId, db_session: DbSession) -> dict:
    """Everything held about me: profile, receipts with their fields and OCR text, ledger."""
    member = points_service.get_or_raise(db_session=db_session, member_id=member_id)
    return personal_data.export(db_session, member)


@member_router.post("/erase", response_model=ErasureRead)
def erase_mine(member_id: CurrentMemberId, db_session: DbSession) -> ErasureRead:
    """Delete my photos, OCR text and phone number; my points history stays, anonymous."""
    member = points_service.get_or_raise(db_session=db_session, member_id=member_id)
    return _erase(db_session, member, actor=f"member:{member.id}")


@desk_router.get("/{code}/export", response_model=PersonalDataExport,
                 response_model_by_alias=True)
def export_member(code: str, staff: CurrentStaff, db_session: DbSession) -> dict:
    """A member's data, for a member who asked at the desk."""
    member = points_service.find(db_session=db_session, code=code)
    accounts.record(db_session, actor=staff.actor, action="member_data_exported",
                    target_type="member", target_id=str(member.id))
    return personal_data.export(db_session, member)


@desk_router.post("/{code}/erase", response_model=ErasureRead)
def erase_member(code: str, staff: CurrentStaff, db_session: DbSession) -> ErasureRead:
    """Erase a member's personal data at their request (audit-logged)."""
    member = points_service.find(db_session=db_session, code=code)
    return _erase(db_session, member, actor=staff.actor)


def _erase(db_session, member: Member, *, actor: str) -> ErasureRead:
    done = personal_data.erase(db_session, member, actor=actor)
    accounts.record(db_session, actor=actor, action="member_erased", target_type="member",
                    target_id=str(member.id), after=done.as_dict())
    return ErasureRead(**done.as_dict())

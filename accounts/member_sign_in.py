"""Member sign-in from the mall's mini-program: the code of ``wx.login`` becomes a session
(the member is created at the first sign-in), the code of the phone-number button binds
the phone, merging the member the service desk created earlier under that number.

Binding always ends the current session and returns a new one, for the member that
remains: the WeChat member itself, or the older desk member it was merged into.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accounts import member_sessions
from accounts import service as accounts
from accounts.member_sessions import Tokens
from accounts.models import MemberSession
from accounts.wechat.client import MiniProgramApi
from core.clock import local_today
from core.errors import AppError, Conflict
from points import merge
from points import service as points_service
from points.models import Member

MAINLAND = "86"


@dataclass(frozen=True)
class SignedIn:
    member: Member
    tokens: Tokens
    created: bool = False
    merged_from: str | None = None


def sign_in_with_wechat(db_session: Session, *, code: str, wechat: MiniProgramApi) -> SignedIn:
    user = wechat.code_to_session(code)
    member, created = points_service.member_for_openid(
        db_session=db_session, openid=user.openid, unionid=user.unionid
    )
    tokens = member_sessions.issue(db_session, member_id=member.id, via="wechat")
    return SignedIn(member, tokens, created)


def bind_phone(
    db_session: Session, *, session: MemberSession, code: str, wechat: MiniProgramApi
) -> SignedIn:
    member = points_service.get_or_raise(db_session=db_session, member_id=session.member_id)
    phone = wechat.phone_number(code, openid=member.openid)
    if phone.country_code.lstrip("+") != MAINLAND or not points_service.is_mobile(phone.number):
        raise AppError("phone_unsupported", "暂只支持中国大陆手机号", status=422)
    holder = points_service.holder_of_phone(db_session=db_session, phone=phone.number)
    survivor, merged_from = member, None
    if holder is not None and holder.id != member.id:
        if holder.openid is not None:
            raise Conflict("phone_bound_elsewhere",
                           "该手机号已绑定另一个微信账号；如需更换，请到服务台办理")
        survivor, absorbed = _older_first(holder, member)
        _merge(db_session, survivor=survivor, absorbed=absorbed, actor=_actor(member))
        merged_from = absorbed.code
    points_service.set_phone(survivor, phone.number)
    member_sessions.revoke_family(db_session, session.family, why="phone_bound")
    tokens = member_sessions.issue(db_session, member_id=survivor.id, via="phone")
    return SignedIn(survivor, tokens, merged_from=merged_from)


def _older_first(a: Member, b: Member) -> tuple[Member, Member]:
    """The member with the longer history (usually the desk's) survives: its code is the
    one staff and earlier records know."""
    return (a, b) if (a.created_at, a.id) <= (b.created_at, b.id) else (b, a)


def _merge(db_session: Session, *, survivor: Member, absorbed: Member, actor: str) -> None:
    done = merge.merge_members(db_session, survivor_id=survivor.id, absorbed_id=absorbed.id,
                               actor=actor, today=local_today())
    revoked = member_sessions.revoke_member(db_session, absorbed.id, why="merged")
    accounts.record(db_session, actor=actor, action="member_merge", target_type="member",
                    target_id=survivor.code, before={"absorbed": absorbed.code},
                    after={**done.moved, "sessions_revoked": revoked})


def _actor(member: Member) -> str:
    return f"member:{member.code}"

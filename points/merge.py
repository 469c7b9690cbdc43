"""Merging one member into another: a shopper who signed in with WeChat binds the phone
number under which the service desk had already created a member for them.

The absorbed member's rows change owner and nothing else: every ledger entry keeps its
points, key, lot expiry and allocations, every receipt its status and points, every tier
change its history. So no point is credited twice or lost: the survivor's balance is the
sum of both ledgers, and its cached balance is recomputed from its entries under the lock.
Debts of one side are then covered by open lots of the other, as the next earning would
have. The survivor keeps the higher tier and is upgraded if the combined growth reaches a
higher one. A zero-point ``merge`` entry in its ledger and a ``member_merge`` row record
who, when, from and to; the absorbed member keeps its code (lookups by it lead to the
survivor) and nothing else.
"""

from datetime import date

from sqlalchemy import column, table, update
from sqlalchemy.orm import Session

from core.errors import Conflict
from points import ledger, tiers, versions
from points.models import Member, MemberMerge, TierChange

# Tables whose rows belong to one member (a member_id column) and move in a merge. A
# table of another package is named, not imported: points knows nothing of receipts.
MEMBER_OWNED = ("receipt", "ledger_entry", "tier_change", "wechat_payment")
# Tables with a member_id that stay: sessions are revoked (accounts), merges are history.
NOT_MOVED = ("member_session", "member_merge")
IDENTITY = ("openid", "unionid")


def merge_members(
    db_session: Session, *, survivor_id: int, absorbed_id: int, actor: str, today: date
) -> MemberMerge:
    if survivor_id == absorbed_id:
        raise Conflict("member_merge_self", "不能把会员合并到自己")
    # Receipts first: a worker deciding one holds the receipt row, then locks the member.
    moved = {"receipt": _repoint(db_session, "receipt", absorbed_id, survivor_id)}
    for member_id in sorted((survivor_id, absorbed_id)):  # one order: no deadlock
        ledger.lock_member(db_session, member_id)
    survivor, absorbed = db_session.get(Member, survivor_id), db_session.get(Member, absorbed_id)
    if survivor.merged_into_id is not None or absorbed.merged_into_id is not None:
        raise Conflict("member_already_merged", "该会员已合并，请刷新后重试")
    # Again under the member locks: an upload that raced the first pass is moved too.
    for name in MEMBER_OWNED:
        moved[name] = moved.get(name, 0) + _repoint(db_session, name, absorbed_id, survivor_id)
    moved["points"] = absorbed.points_balance
    _move_identity(db_session, survivor, absorbed)
    absorbed.merged_into_id, absorbed.points_balance = survivor.id, 0
    ledger.settle_debts(db_session, survivor.id)
    note = f"合并会员 {absorbed.code}：{moved['ledger_entry']} 条积分记录，共 {moved['points']} 分"
    ledger.post(db_session, ledger.Movement("merge", 0, f"merge:member:{absorbed.id}", actor,
                                            note), member_id=survivor.id)
    db_session.refresh(survivor)
    survivor.points_balance = ledger.balance(db_session, survivor.id)
    _keep_higher_tier(db_session, survivor, absorbed, today)
    record = MemberMerge(from_member_id=absorbed.id, to_member_id=survivor.id, actor=actor,
                         moved=moved)
    db_session.add(record)
    db_session.flush()
    return record


def _repoint(db_session: Session, name: str, from_id: int, to_id: int) -> int:
    owned = table(name, column("member_id"))
    statement = update(owned).where(owned.c.member_id == from_id).values(member_id=to_id)
    return db_session.execute(statement).rowcount


def _move_identity(db_session: Session, survivor: Member, absorbed: Member) -> None:
    """WeChat ids and phone go to the survivor where it has none (both bound: refused)."""
    for name in IDENTITY:
        mine, theirs = getattr(survivor, name), getattr(absorbed, name)
        if mine and theirs and mine != theirs:
            raise Conflict("member_merge_conflict",
                           "两个会员都已绑定微信，不能自动合并，请到服务台处理")
    taken = {name: getattr(absorbed, name) for name in IDENTITY}
    phone = (absorbed.phone_hash, absorbed.phone_masked)
    absorbed.openid = absorbed.unionid = absorbed.phone_hash = absorbed.phone_masked = None
    db_session.flush()  # free the unique openid before the survivor takes it
    for name, value in taken.items():
        setattr(survivor, name, getattr(survivor, name) or value)
    if survivor.phone_hash is None:
        survivor.phone_hash, survivor.phone_masked = phone


def _keep_higher_tier(db_session: Session, survivor: Member, absorbed: Member, today: date
                      ) -> None:
    _, rules = versions.in_force(db_session, today)
    levels = rules.tiers
    if levels.index(absorbed.tier) > levels.index(survivor.tier):
        growth = tiers.growth(db_session, survivor.id, as_of=today,
                              window_months=levels.window_months)
        db_session.add(TierChange(member_id=survivor.id, from_tier=survivor.tier,
                                  to_tier=absorbed.tier, growth=growth, reason="merge"))
        survivor.tier, survivor.tier_expires_on = absorbed.tier, absorbed.tier_expires_on
    tiers.upgrade(db_session, survivor, rules, today=today)

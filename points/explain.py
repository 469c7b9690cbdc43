"""The shopper's answer to "why did I get these points?", from a ledger entry alone."""

from decimal import Decimal

from points.models import LedgerEntry

KIND_TEXT = {"earn": "消费积分", "redeem": "积分兑换", "expire": "积分过期", "reverse": "积分冲红",
             "adjust": "积分调整", "merge": "会员合并"}
CAP_TEXT = {"member_daily_points": "已达每日积分上限",
            "member_store_daily_points": "已达同一商户每日积分上限"}


def explain(entry: LedgerEntry) -> str:
    detail = entry.detail or {}
    if entry.kind == "earn" and "base_points" in detail:
        return _earning(entry, detail)
    if entry.kind == "merge":
        return f"{entry.reason}。"
    if entry.kind == "reverse":
        notes = [f"{n} 分{why}" for n, why in ((detail.get("unrecovered", 0), "已使用，未能扣回"),
                                               (detail.get("expired", 0), "已过期，无需扣回")) if n]
        owed = f"（其中 {'；'.join(notes)}）" if notes else ""
        return f"退货冲红：扣回 {-entry.points} 分{owed}。{entry.reason or ''}".rstrip("。") + "。"
    return f"{KIND_TEXT.get(entry.kind, entry.kind)} {entry.points:+d} 分：{entry.reason or ''}"


def _earning(entry: LedgerEntry, detail: dict) -> str:
    steps = [f"{detail['whole_yuan']} 元 × {_num(detail['rate'])} 分/元"]
    steps += [f"× {_num(m['factor'])}（{m['name']}）" for m in detail.get("multipliers", [])]
    text = f"{entry.reason or ''}：{' '.join(steps)} = {entry.points} 分"
    if cap := detail.get("capped_by"):
        text += f"（{CAP_TEXT.get(cap, cap)}）"
    if entry.rule_version is not None:
        text += f"；积分规则版本 {entry.rule_version}"
    return text


def _num(value: str) -> str:
    number = Decimal(value).normalize()
    return f"{number:f}"

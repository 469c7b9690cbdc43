"""Published rule versions: the rule set in force on a day, and publishing a new one."""

from datetime import date

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import AppError, Conflict
from points.models import RuleVersion
from points.rules import RuleSet, default_rules, parse_rules

BUILT_IN = 0


def in_force(db_session: Session, day: date) -> tuple[int, RuleSet]:
    """(version, rules) in force on ``day``; version 0 is the built-in default."""
    row = db_session.scalar(
        select(RuleVersion).where(RuleVersion.effective_from <= day)
        .order_by(RuleVersion.effective_from.desc(), RuleVersion.version.desc()).limit(1)
    )
    if row is None:
        return BUILT_IN, default_rules()
    return row.version, RuleSet.model_validate(row.body)


def publish(
    db_session: Session, *, text: str, effective_from: date, actor: str, today: date,
    note: str | None = None
) -> RuleVersion:
    """Validate and store a new version. It may not take effect in the past: points
    already credited were computed under the rules then in force."""
    if effective_from < today:
        raise Conflict("rules_effective_in_past", "新规则的生效日期不能早于今天")
    rules = validate(text)
    latest = db_session.scalar(select(func.coalesce(func.max(RuleVersion.version), 0)))
    row = RuleVersion(
        version=latest + 1, effective_from=effective_from, created_by=actor, note=note,
        body=rules.model_dump(mode="json"),
    )
    try:
        with db_session.begin_nested():
            db_session.add(row)
    except IntegrityError as exc:
        raise Conflict("rules_publish_conflict", "另一位同事刚刚发布了规则，请刷新后重试") from exc
    return row


def validate(text: str) -> RuleSet:
    try:
        return parse_rules(text)
    except yaml.YAMLError as exc:
        raise AppError("rules_invalid", f"规则文件不是合法的 YAML/JSON：{exc}", status=422) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise AppError("rules_invalid", f"规则有误：{problems}", status=422) from exc


def listing(db_session: Session) -> list[RuleVersion]:
    return list(db_session.scalars(select(RuleVersion).order_by(RuleVersion.version)))


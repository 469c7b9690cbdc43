"""Store templates edited by ops: published versions per merchant, history and rollback.

A store's template in force is its highest published version; without one, the bundled
file (``merchants/templates/<id>.yaml``) or the generic rules apply. Publishing validates
the text the way the reader will compile it, so a bad template never reaches the worker.
"""

from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from merchants import service as merchant_service
from merchants.models import TemplateVersion
from merchants.parsing import BUNDLED_DIR, Template, TemplateError, load_template
from merchants.parsing.timed import MATCH_TIMEOUT_S, PatternTimeout

# What the reader needs to rebuild its templates: (merchant id, version, body) per store.
Snapshot = tuple[tuple[str, int, str], ...]


class TemplateInvalid(AppError):
    status = 422


def parse(merchant_id: str, body: str) -> Template:
    """Compile a template text for ``merchant_id``; 422 ``template_invalid`` naming the
    problem (YAML syntax, unknown key, bad regex, missing named group, ...)."""
    try:
        raw: Any = yaml.safe_load(body) if body.strip() else {}
    except yaml.YAMLError as exc:
        raise TemplateInvalid("template_invalid", f"模板不是有效的 YAML：{exc}") from exc
    if not isinstance(raw, dict):
        raise TemplateInvalid("template_invalid", "模板必须是键值结构（YAML 映射）")
    try:
        template = load_template({**raw, "id": merchant_id})
    except TemplateError as exc:
        raise TemplateInvalid("template_invalid", f"模板有误：{exc.message}") from exc
    _probe(template)
    return template


# Long runs of what receipts print: a pattern with catastrophic backtracking gives itself
# away on one of them long before a receipt would.
_PROBES = tuple(run * 40 + tail for run in ("1", "a", "1 ", "12:", "2026-", "¥1.", "一")
                for tail in ("", "!", "x", "-"))


def _probe(template: Template) -> None:
    patterns = [*template.keywords, *template.exclude_keywords,
                *(p for rules in template.fields.values() for p in rules.patterns)]
    for pattern in patterns:
        try:
            for text in _PROBES:
                pattern.search(text)
        except PatternTimeout as exc:
            raise TemplateInvalid(
                "template_regex_timeout",
                f"正则表达式 {pattern.pattern} 运行超过 {MATCH_TIMEOUT_S * 1000:.0f} 毫秒"
                "（存在灾难性回溯），请改写",
            ) from exc


def current(db_session: Session, merchant_id: str) -> TemplateVersion | None:
    query = select(TemplateVersion).where(TemplateVersion.merchant_id == merchant_id)
    return db_session.scalar(query.order_by(TemplateVersion.version.desc()).limit(1))


def current_body(db_session: Session, merchant_id: str) -> tuple[int, str]:
    """The text ops edit: the published version, else the bundled file, else empty
    (version 0 means nothing was published yet)."""
    if (row := current(db_session, merchant_id)) is not None:
        return row.version, row.body
    return 0, bundled_body(merchant_id)


def bundled_body(merchant_id: str) -> str:
    """The store's shipped template file, or an empty template (the generic rules)."""
    bundled = BUNDLED_DIR / f"{merchant_id}.yaml"
    return bundled.read_text(encoding="utf-8") if bundled.is_file() else "{}\n"


def history(db_session: Session, merchant_id: str) -> list[TemplateVersion]:
    query = select(TemplateVersion).where(TemplateVersion.merchant_id == merchant_id)
    return list(db_session.scalars(query.order_by(TemplateVersion.version.desc())))


def publish(db_session: Session, *, merchant_id: str, body: str, actor: str,
            note: str | None = None) -> TemplateVersion:
    merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    parse(merchant_id, body)
    latest = db_session.scalar(select(func.max(TemplateVersion.version))
                               .where(TemplateVersion.merchant_id == merchant_id)) or 0
    row = TemplateVersion(merchant_id=merchant_id, version=latest + 1, body=body, note=note,
                          created_by=actor)
    db_session.add(row)
    db_session.flush()
    return row


def rollback(db_session: Session, *, merchant_id: str, to_version: int,
             actor: str) -> TemplateVersion:
    """Publish version ``to_version``'s text again as the newest version; version 0 is
    what applied before anything was published (the bundled file or the generic rules)."""
    if to_version == 0:
        body = bundled_body(merchant_id)
    else:
        query = select(TemplateVersion.body).where(TemplateVersion.merchant_id == merchant_id,
                                                   TemplateVersion.version == to_version)
        body = db_session.scalar(query)
    if body is None:
        raise NotFound("template_version_not_found",
                       f"商户 {merchant_id} 没有模板版本 {to_version}")
    return publish(db_session, merchant_id=merchant_id, body=body, actor=actor,
                   note=f"回滚到版本 {to_version}")


def snapshot(db_session: Session) -> Snapshot:
    """Every store's template in force, as the reader's cache key."""
    latest = (select(TemplateVersion.merchant_id, func.max(TemplateVersion.version).label("v"))
              .group_by(TemplateVersion.merchant_id).subquery())
    rows = db_session.execute(
        select(TemplateVersion.merchant_id, TemplateVersion.version, TemplateVersion.body)
        .join(latest, (TemplateVersion.merchant_id == latest.c.merchant_id)
              & (TemplateVersion.version == latest.c.v))
        .order_by(TemplateVersion.merchant_id)
    )
    return tuple((merchant_id, version, body) for merchant_id, version, body in rows)

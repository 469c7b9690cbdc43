"""Command-line jobs of the points domain (see app.py): reports, rule versions and the
nightly run (expiry, tier review)."""

from datetime import date, timedelta
from pathlib import Path

import yaml

from core.clock import local_today
from core.db import session_scope
from points import ledger, report, tiers, versions


def daily_report(day: date | None, out: Path | None) -> str:
    """T+1 by default: yesterday's report, as CSV, to ``out`` or returned."""
    day = day or local_today() - timedelta(days=1)
    with session_scope() as db_session:
        text = report.to_csv(report.daily(db_session, day))
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return f"wrote {out} ({day.isoformat()})"
    return text


def show_rules(day: date | None) -> str:
    with session_scope() as db_session:
        version, rules = versions.in_force(db_session, day or local_today())
    body = yaml.safe_dump(rules.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    return f"# rule version {version}\n{body}"


def publish_rules(path: Path, effective: date, note: str | None) -> str:
    with session_scope() as db_session:
        row = versions.publish(
            db_session, text=path.read_text(encoding="utf-8"), effective_from=effective,
            actor="cli", today=local_today(), note=note,
        )
        return f"published rule version {row.version}, in force from {effective.isoformat()}"


def nightly(day: date | None) -> str:
    """Expire due lots, then review tiers whose period ended: run once a day (cron)."""
    day = day or local_today()
    with session_scope() as db_session:
        expired = ledger.expire_due(db_session, as_of=day)
    with session_scope() as db_session:
        _, rules = versions.in_force(db_session, day)
        changes = tiers.review(db_session, rules, as_of=day)
        moved = {why: sum(c.reason == why for c in changes) for why in ("retained", "downgrade")}
    return (f"{day.isoformat()}: {expired} lots expired; tiers retained {moved['retained']}, "
            f"downgraded {moved['downgrade']}")


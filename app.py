"""Composition root: the FastAPI app factory and the command line.

    python app.py serve | worker | migrate | seed-demo
    python app.py merchants import FILE.json
    python app.py samples export --out DIR [--merchant ID]
    python app.py staff add USERNAME --role desk|ops|admin [--name 张三]
    python app.py process IMAGE --member CODE [--json]
    python app.py token member CODE | token staff NAME --role desk
    python app.py report daily [--date D] [--out FILE.csv]
    python app.py rules show [--date D] | rules publish FILE --effective D
    python app.py points nightly [--date D]
    python app.py channels wechat-pay simulate --member CODE --store ID --amount 128.00
    python app.py channels wechat-pay simulate-refund | send-syncs
"""

import argparse
import json
import logging
import os
import sys
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import FastAPI

from core.settings import get_settings

log = logging.getLogger("receipt_points")


def create_app() -> FastAPI:
    from api import (
        channels,
        desk,
        errors,
        health,
        middleware,
        ops,
        ops_merchants,
        ops_tuning,
        personal_data,
    )
    from api.shopper import routes as shopper
    from api.web import pages
    from receipts.jobs import InProcessQueue, get_queue, resume_pending

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        queue = get_queue()
        if isinstance(queue, InProcessQueue):
            # Jobs lived in this process. In the scale-out configuration the workers' sweep
            # re-queues what is left: every API replica re-queuing every pending receipt at
            # each restart would fill the queue with repeats in a burst.
            if resumed := resume_pending(queue):
                log.info("re-enqueued %d unfinished receipts", resumed)
        channels.start()
        yield
        channels.stop()
        if isinstance(queue, InProcessQueue):
            queue.shutdown()

    from core.privacy import install_log_masking

    install_log_masking()
    app = FastAPI(title="receipt-points", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    middleware.install(app)
    shopper.install(app, responses=errors.ERROR_RESPONSES)
    channels.install(app, responses=errors.ERROR_RESPONSES)
    for router in (desk.router, ops.router, ops_merchants.router, ops_tuning.router,
                   personal_data.member_router, personal_data.desk_router, health.router):
        app.include_router(router, responses=errors.ERROR_RESPONSES)
    pages.install(app)
    return app


# --- command line -------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from core.migrate import upgrade

    upgrade()
    fake = start_fake_wechat()
    uvicorn.run("app:create_app", factory=True, host=args.host, port=args.port)
    if fake is not None:
        fake.stop()
    return 0


def start_fake_wechat():
    """With RP_WECHAT_FAKE (development, `make run`): the fake WeChat on its own port, in
    a thread of this process; the app's WeChat client calls it over HTTP."""
    from accounts.settings import get_wechat_settings
    from accounts.wechat.fake import create_fake_app
    from accounts.wechat.fake.server import serve_in_thread
    from accounts.wechat.fake.state import FakeWeChatState

    settings = get_wechat_settings()
    if not settings.fake:
        return None
    state = FakeWeChatState(appid=settings.appid, secret=settings.secret.get_secret_value())
    running = serve_in_thread(create_fake_app(state), port=settings.fake_port)
    log.info("fake WeChat (development only) at %s; the phone page is /m/", running.url)
    return running


def cmd_worker(args: argparse.Namespace) -> int:
    if get_settings().job_backend != "dramatiq":
        print("worker needs RP_JOB_BACKEND=dramatiq (the embedded default runs jobs in "
              "the API process)", file=sys.stderr)
        return 2
    threads = str(args.threads or get_settings().worker_threads)
    if args.metrics_port is not None:
        os.environ["RP_WORKER_METRICS_PORT"] = str(args.metrics_port)
    argv = [sys.executable, "-m", "dramatiq", "receipts.tasks", "--processes", "1",
            "--threads", threads]
    os.execv(sys.executable, argv)


def cmd_migrate(_args: argparse.Namespace) -> int:
    from core.migrate import upgrade

    upgrade()
    print("database is at the latest revision")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from api.auth import issue_member_token, issue_staff_token
    from core.db import session_scope
    from core.migrate import upgrade
    from merchants import service as merchant_service
    from points import service as points_service

    upgrade()
    with session_scope() as db_session:
        created, updated = merchant_service.import_file(
            db_session=db_session, path=merchant_service.DEMO_MALL
        )
        member = points_service.get_or_create_by_code(
            db_session=db_session, code="M000001", phone="13800001234"
        )
        member_id = member.id
    print(f"demo mall: {created} stores added, {updated} updated")
    print(f"demo member M000001 token: {issue_member_token(member_id)}")
    print(f"demo desk staff token: {issue_staff_token('desk-demo', 'desk')}")
    print(f"demo ops staff token: {issue_staff_token('ops-demo', 'ops')}")
    for line in seed_demo_staff():
        print(line)
    if args.with_receipts:
        print(seed_demo_receipts(member_id))
    print("微信支付无感积分演示（服务以 RP_WECHATPAY_DEMO=true 运行时）：python app.py channels "
          "wechat-pay simulate --member M000001 --store m001 --amount 128.00")
    return 0


# Counter tickets (专柜销售单) the generic rules misread: in the demo they wait for the desk,
# and the ops tuning page shows how to teach the reader these stores.
DEMO_QUEUE = ("m018", "m009", "m015")


def seed_demo_receipts(member_id: int) -> str:
    """A few generated receipts uploaded for the demo member, once; ``serve`` reads them."""
    import io
    import random

    from sqlalchemy import func, select

    from core.db import session_scope
    from merchants import service as merchant_service
    from receipts import flow
    from receipts.models import Receipt
    from training_data.synth import generate_receipt

    with session_scope() as db_session:
        uploaded = select(func.count()).select_from(Receipt).where(Receipt.member_id == member_id)
        if db_session.scalar(uploaded):
            return "demo receipts: already uploaded"
    mall = {m["id"]: m for m in json.loads(
        merchant_service.DEMO_MALL.read_text(encoding="utf-8"))}
    rng, photos = random.Random(2026), []
    try:
        for store in DEMO_QUEUE:
            image, _truth = generate_receipt(mall[store], rng, layout="counter")
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=90)
            photos.append(buffer.getvalue())
    except OSError as exc:  # no CJK font to print them with
        return f"demo receipts skipped ({exc}); install fonts-noto-cjk"
    with session_scope() as db_session:
        for data in photos:
            flow.submit_photo(db_session=db_session, member_id=member_id, data=data,
                              actor="seed-demo")
    return f"demo receipts: {len(photos)} uploaded for M000001, read when the service starts"


DEMO_STAFF = (("desk-demo", "服务台演示", "desk"), ("ops-demo", "运营演示", "ops"),
              ("admin-demo", "管理员演示", "admin"))


def seed_demo_staff() -> list[str]:
    """Demo staff accounts for the desk pages; the password is RP_DEMO_PASSWORD or a demo one."""
    from sqlalchemy import select

    from accounts import service as accounts
    from accounts.models import StaffAccount
    from core.db import session_scope

    password = os.environ.get("RP_DEMO_PASSWORD", "demo-pass-2026")
    lines = []
    with session_scope() as db_session:
        for username, name, role in DEMO_STAFF:
            taken = select(StaffAccount).where(StaffAccount.username == username)
            if db_session.scalar(taken) is None:
                accounts.create_staff(db_session, username=username, display_name=name,
                                      role=role, password=password)
                lines.append(f"demo staff {username} ({role}) password: {password}")
    return lines


def cmd_staff_add(args: argparse.Namespace) -> int:
    import getpass

    from accounts import service as accounts
    from core.db import session_scope
    from core.migrate import upgrade

    upgrade()
    password = os.environ.get("RP_NEW_STAFF_PASSWORD") or getpass.getpass("密码：")
    with session_scope() as db_session:
        accounts.create_staff(db_session, username=args.username, role=args.role,
                              display_name=args.name or args.username, password=password)
    print(f"staff {args.username} ({args.role}) created")
    return 0


def cmd_merchants_import(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from merchants import service as merchant_service

    with session_scope() as db_session:
        created, updated = merchant_service.import_file(db_session=db_session, path=args.file)
    print(f"{created} stores added, {updated} updated")
    return 0


def cmd_samples_export(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from training_data.loop import samples

    with session_scope() as db_session:
        count = samples.export(db_session, args.out, merchant_id=args.merchant)
    print(f"{count} labelled samples written to {args.out} (images/ + labels.jsonl)")
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    from receipts.cli import process_file

    result = process_file(args.image, member_code=args.member)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from receipts.retention import purge
    from receipts.settings import get_receipt_settings

    days = args.older_than_days or get_receipt_settings().retention_days
    with session_scope() as db_session:
        count = purge(db_session=db_session, older_than_days=days)
    print(f"purged photos and OCR text of {count} receipts older than {days} days")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from api.auth import issue_member_token, issue_staff_token
    from core.db import session_scope
    from points import service as points_service

    if args.kind == "staff":
        print(issue_staff_token(args.subject, args.role))
        return 0
    with session_scope() as db_session:
        member = points_service.get_or_create_by_code(db_session=db_session, code=args.subject)
        member_id = member.id
    print(issue_member_token(member_id))
    return 0


def cmd_report_daily(args: argparse.Namespace) -> int:
    from points.cli import daily_report

    print(daily_report(args.date, args.out).rstrip("\n"))
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    from points.cli import show_rules

    print(show_rules(args.date).rstrip("\n"))
    return 0


def cmd_rules_publish(args: argparse.Namespace) -> int:
    from points.cli import publish_rules

    print(publish_rules(args.file, args.effective, args.note).rstrip("\n"))
    return 0


def cmd_points_nightly(args: argparse.Namespace) -> int:
    from points.cli import nightly

    print(nightly(args.date).rstrip("\n"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="receipt-points service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate and start the HTTP service")
    serve.add_argument("--host", default=os.environ.get("RP_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("RP_PORT", "8000")))
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run queue workers (RP_JOB_BACKEND=dramatiq)")
    worker.add_argument("--threads", type=int)
    worker.add_argument("--metrics-port", type=int,
                        help="serve this worker's Prometheus metrics here (RP_WORKER_METRICS_PORT)")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed-demo", help="load the demo mall, member and staff")
    seed.add_argument("--with-receipts", action="store_true",
                      help="also upload a few generated receipts for the desk queue")
    seed.set_defaults(func=cmd_seed_demo)

    merchants = sub.add_parser("merchants", help="merchant registry")
    merchants_sub = merchants.add_subparsers(dest="merchants_command", required=True)
    imp = merchants_sub.add_parser("import", help="import a registry JSON file")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=cmd_merchants_import)

    samples = sub.add_parser("samples", help="labelled sample receipts")
    samples_sub = samples.add_subparsers(dest="samples_command", required=True)
    export = samples_sub.add_parser("export", help="images + labels.jsonl, as the evaluator "
                                                   "reads them (python -m training_data.evaluate)")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--merchant", help="only this store's samples")
    export.set_defaults(func=cmd_samples_export)

    staff = sub.add_parser("staff", help="staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create a staff account (password asked, or "
                               "RP_NEW_STAFF_PASSWORD)")
    add.add_argument("username")
    add.add_argument("--role", choices=["desk", "ops", "admin"], required=True)
    add.add_argument("--name", help="display name, e.g. 张三")
    add.set_defaults(func=cmd_staff_add)

    process = sub.add_parser("process", help="run the whole pipeline on one image, now")
    process.add_argument("image", type=Path)
    process.add_argument("--member", required=True, help="member code (created if new)")
    process.add_argument("--json", action="store_true")
    process.set_defaults(func=cmd_process)

    purge = sub.add_parser("purge", help="retention purge of old photos and OCR text")
    purge.add_argument("--older-than-days", type=int)
    purge.set_defaults(func=cmd_purge)

    report = sub.add_parser("report", help="reconciliation reports")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    daily = report_sub.add_parser("daily", help="per-merchant points of one day as CSV (T+1)")
    daily.add_argument("--date", type=date.fromisoformat, help="default: yesterday")
    daily.add_argument("--out", type=Path, help="write the CSV here instead of stdout")
    daily.set_defaults(func=cmd_report_daily)

    rules = sub.add_parser("rules", help="points rule versions")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    show = rules_sub.add_parser("show", help="print the rules in force on a day")
    show.add_argument("--date", type=date.fromisoformat, help="default: today")
    show.set_defaults(func=cmd_rules_show)
    publish = rules_sub.add_parser("publish", help="publish a rule file as a new version")
    publish.add_argument("file", type=Path)
    publish.add_argument("--effective", type=date.fromisoformat, required=True)
    publish.add_argument("--note")
    publish.set_defaults(func=cmd_rules_publish)

    points = sub.add_parser("points", help="points jobs")
    points_sub = points.add_subparsers(dest="points_command", required=True)
    nightly = points_sub.add_parser("nightly", help="expire due points, review tiers (cron)")
    nightly.add_argument("--date", type=date.fromisoformat, help="default: today")
    nightly.set_defaults(func=cmd_points_nightly)

    from channels.wechatpay.cli import add_commands as add_channel_commands

    add_channel_commands(sub)

    token = sub.add_parser("token", help="issue a signed token for local use")
    token.add_argument("kind", choices=["member", "staff"])
    token.add_argument("subject", help="member code or staff name")
    token.add_argument("--role", default="desk")
    token.set_defaults(func=cmd_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.errors import AppError
    from core.privacy import install_log_masking

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO: WeChat's take the AppSecret and codes in them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    install_log_masking()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AppError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

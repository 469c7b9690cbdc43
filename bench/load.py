"""Load test of the scale-out configuration on 127.0.0.1: the real API (uvicorn) +
PostgreSQL + Redis + 1, then 2 Dramatiq worker processes (one OCR thread each, so N
workers use N cores), generated receipt photos uploaded at a fixed rate by an asyncio
client with a bounded number of requests and a time limit.

Reported per worker count: upload latency p50/p95/p99 (client side), upload-to-decision
latency p50/p95/p99 (the receipt's upload and decision times in the database), throughput
(receipts decided per second, first upload to last decision), errors (non-202 answers and
receipts undecided at the time limit); then the 2-worker / 1-worker throughput ratio and
the load average. The offered rate is above what two workers read, so throughput is the
workers' capacity. Each run gets a fresh database and Redis database 13; nothing leaves
this machine.

    python -m bench.load [--uploads 40] [--rate 3] [--workers 1 2] [--time-limit 600]
"""

import argparse
import asyncio
import io
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench import services

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "var" / "bench" / "load_photos"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/13"
DECIDED = ("approved", "needs_review", "duplicate", "rejected")
MEMBERS = 10
WARM_UP = 2  # receipts per worker read before measuring (each worker loads its models)


def photos(count: int) -> list[bytes]:
    """Distinct generated receipts of the demo mall's stores (JPEG), made once and kept."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    have = sorted(PHOTOS.glob("*.jpg"))
    if len(have) < count:
        from training_data.synth import generate_receipt, load_registry

        stores, rng = load_registry(), random.Random(18)
        for n in range(len(have), count):
            image, _truth = generate_receipt(stores[n % len(stores)], rng, strength=0.3)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=88)
            (PHOTOS / f"{n:04d}.jpg").write_bytes(buffer.getvalue())
        have = sorted(PHOTOS.glob("*.jpg"))
    return [path.read_bytes() for path in have[:count]]


def lenient_rules(folder: Path) -> Path:
    """The bundled rules with a validity window and caps that generated receipts (printed on
    past dates, many for few members) pass, so that most are credited as in a real burst."""
    import yaml

    from points.rules import DEFAULT_RULES

    rules = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump({**rules, "validity_days": 36500, "caps": {}},
                                   allow_unicode=True), encoding="utf-8")
    return path


def fresh_database() -> str:
    from core.migrate import upgrade

    name = f"rp_bench_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return url


def drop_database(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str) -> list[str]:
    """The demo mall and members; returns one bearer token a member."""
    import subprocess
    import sys

    env = {**os.environ, "RP_DATABASE_URL": url}
    script = ("from core.db import session_scope\n"
              "from merchants import service as m\n"
              "from points import service as p\n"
              "from api.auth import issue_member_token\n"
              "with session_scope() as s:\n"
              "    m.import_file(db_session=s, path=m.DEMO_MALL)\n"
              f"    ids = [p.get_or_create_by_code(db_session=s, code=f'L{{i}}').id "
              f"for i in range({MEMBERS})]\n"
              "print(' '.join(issue_member_token(i) for i in ids))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


async def upload_at_rate(base: str, tokens: list[str], images: list[bytes], rate: float,
                         deadline: float) -> tuple[list[float], list[str], int]:
    """Send ``images`` at ``rate`` a second; returns latencies (s), receipt ids, errors."""
    latencies, ids, errors = [], [], 0
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        async def one(n: int, data: bytes) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            if time.monotonic() > deadline:
                errors += 1
                return
            sent = time.monotonic()
            try:
                token = tokens[n % len(tokens)]
                response = await client.post(
                    "/api/v1/receipts", headers={"Authorization": f"Bearer {token}"},
                    files={"image": (f"{n}.jpg", data, "image/jpeg")})
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append(time.monotonic() - sent)
            if response.status_code == 202:
                ids.append(response.json()["id"])
            else:
                errors += 1

        start = time.monotonic()
        await asyncio.gather(*(one(n, data) for n, data in enumerate(images)))
    return latencies, ids, errors


def decisions(url: str, ids: list[str]) -> dict[str, tuple[float, float, str]]:
    """receipt id -> (uploaded, decided, status), epoch seconds, for decided receipts."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT r.id, extract(epoch FROM r.created_at), extract(epoch FROM min(e.created_at)),"
            " r.status FROM receipt r JOIN receipt_event e ON e.receipt_id = r.id "
            "WHERE e.to_status = ANY(:decided) "
            "AND r.id = ANY(:ids) GROUP BY r.id"), {"ids": ids, "decided": list(DECIDED)}).all()
    engine.dispose()
    return {rid: (float(up), float(done), status) for rid, up, done, status in rows}


def wait_decided(url: str, ids: list[str], deadline: float) -> dict:
    while time.monotonic() < deadline:
        done = decisions(url, ids)
        if len(done) == len(ids):
            return done
        time.sleep(0.5)
    return decisions(url, ids)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def run(workers: int, images: list[bytes], warm: list[bytes], rate: float,
        time_limit: float, log: Path) -> dict:
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    url = fresh_database()
    tokens = seed(url)
    env = services.scale_out_env(url, REDIS, log.parent / f"data-{workers}",
                                 RP_OCR_THREADS="1", RP_WORKER_METRICS_PORT="0",
                                 RP_POINTS_RULES_FILE=str(lenient_rules(log.parent)))
    api, base = services.start_api(env, log)
    started = [services.start_worker(env, log) for _ in range(workers)]
    try:
        deadline = time.monotonic() + time_limit
        _lat, warm_ids, _ = asyncio.run(upload_at_rate(base, tokens, warm, 10, deadline))
        wait_decided(url, warm_ids, deadline)
        load_before = os.getloadavg()[0]
        latencies, ids, errors = asyncio.run(upload_at_rate(base, tokens, images, rate,
                                                            deadline))
        done = wait_decided(url, ids, deadline)
        load_after = os.getloadavg()[0]
    finally:
        for process in (*started, api):
            services.stop(process)
        drop_database(url)
    to_decision = [decided - uploaded for uploaded, decided, _ in done.values()]
    span = (max(d for _, d, _ in done.values()) - min(u for u, _, _ in done.values())
            if done else float("nan"))
    statuses = [status for _, _, status in done.values()]
    return {
        "workers": workers, "uploaded": len(ids), "decided": len(done),
        "errors": errors + len(ids) - len(done),
        "upload_p50": percentile(latencies, 0.5), "upload_p95": percentile(latencies, 0.95),
        "upload_p99": percentile(latencies, 0.99),
        "e2e_p50": percentile(to_decision, 0.5), "e2e_p95": percentile(to_decision, 0.95),
        "e2e_p99": percentile(to_decision, 0.99),
        "throughput": len(done) / span if done else 0.0,
        "outcomes": {s: statuses.count(s) for s in DECIDED if s in statuses},
        "load": (load_before, load_after),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--rate", type=float, default=3.0, help="uploads a second")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--time-limit", type=float, default=600, help="seconds a run")
    args = parser.parse_args(argv)
    warm_count = WARM_UP * max(args.workers)
    pool = photos(args.uploads + warm_count)
    warm, images = pool[:warm_count], pool[warm_count:]
    print(f"load test: {args.uploads} generated receipt photos at {args.rate:g}/s against "
          f"uvicorn + PostgreSQL + Redis, workers with one OCR thread each, on "
          f"{os.cpu_count()} cores")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            result = run(workers, images, warm, args.rate, args.time_limit, Path(tmp) / "log")
            results.append(result)
            print(f"  {workers} worker(s): upload p50/p95/p99 {result['upload_p50'] * 1000:.0f}/"
                  f"{result['upload_p95'] * 1000:.0f}/{result['upload_p99'] * 1000:.0f} ms; "
                  f"upload-to-decision p50/p95/p99 {result['e2e_p50']:.1f}/"
                  f"{result['e2e_p95']:.1f}/{result['e2e_p99']:.1f} s; throughput "
                  f"{result['throughput']:.2f} receipts/s; {result['decided']}/"
                  f"{result['uploaded']} decided {result['outcomes']}, "
                  f"{result['errors']} errors; load average {result['load'][0]:.1f} -> "
                  f"{result['load'][1]:.1f}")
    by_workers = {r["workers"]: r for r in results}
    if 1 in by_workers and 2 in by_workers and by_workers[1]["throughput"]:
        ratio = by_workers[2]["throughput"] / by_workers[1]["throughput"]
        print(f"  throughput 2 workers / 1 worker = {ratio:.2f} (target >= 1.7 on a quiet "
              f"2-core machine)")
    return results


if __name__ == "__main__":
    main()

"""Operations endpoints: ``/healthz`` (database and broker answer) and ``/metrics``
(Prometheus text format; see receipts/metrics.py for what is counted where)."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from core.db import get_engine
from core.settings import get_settings
from receipts.metrics import ServiceState

router = APIRouter(tags=["ops"])


class HealthRead(BaseModel):
    status: str
    checks: dict[str, str]


def _database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _broker() -> None:
    if get_settings().job_backend != "dramatiq":
        return  # the embedded configuration has no broker: jobs run in this process
    import redis

    client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=2,
                                  socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


CHECKS = {"database": _database, "broker": _broker}


@router.get("/healthz", response_model=HealthRead,
            responses={503: {"model": HealthRead, "description": "数据库或队列无响应"}})
def healthz() -> JSONResponse:
    """200 when the database and the broker answer; 503 naming what does not."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is "down", with its type
            results[name] = f"down: {type(exc).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", "checks": results},
                        status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    state = CollectorRegistry()
    state.register(ServiceState())
    body = generate_latest(REGISTRY) + generate_latest(state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

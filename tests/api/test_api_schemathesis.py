"""Schemathesis against the running app (uvicorn on 127.0.0.1, the embedded
configuration on a fresh SQLite database with the demo mall): every operation of its
OpenAPI schema, with a member's, a desk clerk's or an ops user's token as the operation
belongs to; no 5xx, and every response matches its documented status, content type and
schema.

Slow (minutes): it runs with ``make fuzz-api`` (RP_SCHEMATHESIS=1), not in the default
suite. What it found is kept as fast regression tests in test_api_fuzz_findings.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.skipif(not os.environ.get("RP_SCHEMATHESIS"),
                                reason="slow: `make fuzz-api` runs it (RP_SCHEMATHESIS=1)")
schemathesis = pytest.importorskip("schemathesis")

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance")


def _token(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "app.py", "token", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def fake_wechat_env():
    """The fake WeChat over HTTP, as `make run` has it: sign-in and phone binding answer
    the codes they are sent (refusing made-up ones with 4xx) instead of WeChat being
    unreachable (503)."""
    from accounts.wechat.fake import create_fake_app
    from accounts.wechat.fake.server import serve_in_thread
    from accounts.wechat.fake.state import FakeWeChatState

    state = FakeWeChatState(appid="wx-fuzz-app", secret="fuzz-secret")
    running = serve_in_thread(create_fake_app(state))
    yield {"RP_WECHAT_BASE_URL": running.url, "RP_WECHAT_APPID": state.appid,
           "RP_WECHAT_SECRET": state.secret, "RP_WECHAT_FAKE": "true"}
    running.stop()


@pytest.fixture(scope="module")
def running_app(tmp_path_factory, fake_wechat_env):
    from bench import services

    tmp = tmp_path_factory.mktemp("fuzz")
    env = {**os.environ, "RP_DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}",
           "RP_DATA_DIR": str(tmp / "data"), "RP_JOB_BACKEND": "inprocess", **fake_wechat_env}
    subprocess.run([sys.executable, "app.py", "seed-demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    tokens = {"shopper": _token(env, "member", "M000001"),
              "desk": _token(env, "staff", "fuzz-desk", "--role", "desk"),
              "ops": _token(env, "staff", "fuzz-ops", "--role", "ops")}
    api, base = services.start_api(env, tmp / "api.log")
    yield base, tokens, tmp / "api.log"
    services.stop(api)


def _operations() -> list:
    from app import create_app

    schema = schemathesis.openapi.from_dict(create_app().openapi())
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations() if os.environ.get("RP_SCHEMATHESIS") else []


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation(operation, running_app):
    base, tokens, _log = running_app
    tag = (operation.tags or ["shopper"])[0]
    headers = {"Authorization": f"Bearer {tokens.get(tag, tokens['shopper'])}"}
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]

    @given(operation.as_strategy())
    @settings(max_examples=int(os.environ.get("RP_SCHEMATHESIS_EXAMPLES", "25")),
              deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        case.call_and_validate(base_url=base, headers=headers, checks=checks)

    call()

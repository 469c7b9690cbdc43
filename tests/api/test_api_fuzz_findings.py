"""What schemathesis found against the running app (tests/api/test_api_schemathesis.py,
`make fuzz-api`), kept as fast regression tests."""

import pytest

from api.auth import issue_member_token, issue_staff_token
from api.errors import ErrorResponse

HUGE = 552045482512282615808  # beyond any database integer: was a 500 (overflow)


def _ops() -> dict:
    return {"Authorization": f"Bearer {issue_staff_token('fuzz', 'ops')}"}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("DELETE", f"/api/v1/ops/merchants/m001/samples/-{HUGE}", None),
    ("DELETE", f"/api/v1/ops/merchants/m001/samples/{HUGE}", None),
    ("GET", f"/api/v1/ops/merchants/m001/samples/{HUGE}/image", None),
    ("PUT", f"/api/v1/ops/merchants/m001/samples/{HUGE}/labels", {"labels": {}}),
    ("POST", "/api/v1/ops/merchants/m001/template/rollback", {"version": HUGE}),
])
def test_integers_beyond_the_database_are_a_422_not_a_500(client, demo_mall, method, path,
                                                           body):
    response = client.request(method, path, headers=_ops(), json=body)
    assert response.status_code == 422
    ErrorResponse.model_validate(response.json())


def test_history_cursor_beyond_the_database_is_a_422(client, member):
    auth = {"Authorization": f"Bearer {issue_member_token(member)}"}
    response = client.get("/api/v1/members/me/points/history", headers=auth,
                          params={"before_id": HUGE})
    assert response.status_code == 422


def test_every_operation_documents_its_error_answers(client):
    schema = client.get("/openapi.json").json()
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "404", "422"):
                content = operation["responses"].get(status, {}).get("content", {})
                ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if path != "/healthz" and not ref.endswith("/ErrorResponse"):
                    undocumented.append(f"{method.upper()} {path} {status}")
    assert undocumented == []


def test_a_validation_error_matches_its_documented_shape(client, member):
    auth = {"Authorization": f"Bearer {issue_member_token(member)}"}
    body = client.get("/api/v1/members/me/points/history", headers=auth,
                      params={"limit": 0}).json()
    assert ErrorResponse.model_validate(body).error.code == "invalid_request"


@pytest.mark.parametrize(("path", "media_type"), [
    ("/api/v1/ops/merchants/export", "text/csv"),
    ("/api/v1/ops/reports/daily", "text/csv"),
    ("/api/v1/ops/merchants/{merchant_id}/samples/export", "application/zip"),
    ("/api/v1/ops/merchants/{merchant_id}/samples/{sample_id}/image", "image/jpeg"),
    ("/api/v1/desk/receipts/{receipt_id}/image", "image/png"),
])
def test_files_are_documented_with_their_content_type(client, path, media_type):
    schema = client.get("/openapi.json").json()
    assert media_type in schema["paths"][path]["get"]["responses"]["200"]["content"]

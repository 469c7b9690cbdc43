"""Request-scoped dependencies shared by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from core.db import session_scope


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": commit before the response is sent. With the default scope the
# commit runs after it, so a client could be told "done" about a write that then fails,
# and a browser following a redirect could arrive before the write was visible.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


# Integer ids in paths fit the database's INTEGER: a larger number is a 422, not an
# overflow inside the driver (schemathesis found the 500).
MAX_ROW_ID = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# Non-JSON answers, declared so that the OpenAPI schema names their content type.
IMAGE_CONTENT = {200: {"content": {f"image/{kind}": {} for kind in ("jpeg", "png", "webp")},
                       "description": "the photo as stored"}}


def file_content(*media_types: str) -> dict:
    return {200: {"content": {media_type: {} for media_type in media_types}}}

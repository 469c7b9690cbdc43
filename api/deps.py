"""Request-scoped dependencies shared by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from core.db import session_scope


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": commit before the response is sent. With the default scope the
# commit runs after it, so a client could be told "done" about a write that then fails,
# and a browser following a redirect could arrive before the write was visible.
DbSession = Annotated[Session, Depends(get_db, scope="function")]

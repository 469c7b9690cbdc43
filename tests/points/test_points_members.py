"""Members of WeChat users: created once per openid, whoever asks at the same moment."""

import threading

from sqlalchemy import func, select

from core.db import session_scope
from points import service as points_service
from points.models import Member


def test_points_first_sight_of_an_openid_creates_one_member(db_url):
    with session_scope() as db_session:
        first, created = points_service.member_for_openid(
            db_session=db_session, openid="o-1", unionid="u-1")
        code = first.code
    with session_scope() as db_session:
        again, created_again = points_service.member_for_openid(
            db_session=db_session, openid="o-1")
        assert (again.code, again.unionid) == (code, "u-1")
    assert (created, created_again) == (True, False)
    assert code.startswith("M") and code[1:].isdigit() and len(code) == 11


def test_points_two_sign_ins_at_once_make_one_member(db_url, monkeypatch):
    """Both look the openid up before either inserts (a barrier holds them there), so both
    insert: the unique openid lets one win, and the other must end with the winner's row."""
    barrier = threading.Barrier(2, timeout=30)
    looked_up = points_service.get_by_openid
    first_lookup = threading.local()

    def lookup_then_wait(**kwargs):
        found = looked_up(**kwargs)
        if not getattr(first_lookup, "done", False):
            first_lookup.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(points_service, "get_by_openid", lookup_then_wait)
    results, errors = [], []

    def sign_in():
        try:
            with session_scope() as db_session:
                member, created = points_service.member_for_openid(
                    db_session=db_session, openid="o-race")
                results.append((member.id, created))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with session_scope() as db_session:
        count = db_session.scalar(select(func.count()).select_from(Member)
                                  .where(Member.openid == "o-race"))
    assert count == 1
    assert len({member_id for member_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]


def test_points_a_merge_knows_every_table_that_refers_to_members():
    """A table added later with rows of a member must be moved by a merge or named as
    staying: otherwise a merge would silently leave its rows on the absorbed member."""
    from core.models import Base
    from points import merge

    referring = {table.name for table in Base.metadata.sorted_tables if table.name != "member"
                 for key in table.foreign_keys if key.column.table.name == "member"}
    assert referring == set(merge.MEMBER_OWNED) | set(merge.NOT_MOVED)

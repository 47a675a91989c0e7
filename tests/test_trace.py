from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kit import audit, db, trace

# trace.record is kit's own writer inside a transaction, never callable through the door,
# and the tampering here opens the file behind kit's back: the integrity tests cover both modes.
pytestmark = pytest.mark.embedded_only("kit's trace writer used directly, and tampering with an open file")


def _first_seq(path: Path) -> int:
    """The sequence number the next entry gets (a new file already holds its first user's entries)."""
    with db.read(path) as con:
        return int(con.scalar("SELECT count(*) FROM trace_log")) + 1


def _write_three(path: Path) -> None:
    for n in range(3):
        with db.write(path, action="测试", actor=f"用户{n}") as con:
            trace.record(con, action="测试写入", table="people", key=str(n), before=None, after={"n": n, "名": "甲"})


def test_chain_of_fresh_log_is_valid(db_path: Path) -> None:
    first = _first_seq(db_path)
    _write_three(db_path)
    with db.read(db_path) as con:
        report = audit.verify(con)
    assert report.ok
    assert report.rows == first - 1 + 3


def test_entries_record_actor_time_table_key_and_states(db_path: Path) -> None:
    with db.write(db_path, action="测试", actor="录入员丙") as con:
        trace.record(con, action="修改", table="units", key="A", before={"name": "旧"}, after={"name": "新"})
        when = con.now
    with db.read(db_path) as con:
        [entry] = audit.history(con, table="units", key="A")
    assert entry["actor"] == "录入员丙"
    assert entry["logged_at"] == when
    assert (entry["before"], entry["after"]) == ({"name": "旧"}, {"name": "新"})


def _raw(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


@pytest.mark.parametrize(
    ("tamper", "first_broken"),
    [
        ("UPDATE trace_log SET after_json = '{\"n\":9}' WHERE seq = {1}", 1),
        ("UPDATE trace_log SET actor = '别人' WHERE seq = {0}", 0),
        ("UPDATE trace_log SET logged_at = logged_at + INTERVAL 1 DAY WHERE seq = {2}", 2),
        ("DELETE FROM trace_log WHERE seq = {1}", 1),
        ("UPDATE trace_log SET hash = repeat('0', 64) WHERE seq = {1}", 1),
    ],
)
def test_tampering_is_reported_at_the_first_broken_row(db_path: Path, tamper: str, first_broken: int) -> None:
    first = _first_seq(db_path)
    _write_three(db_path)
    _raw(db_path, tamper.replace("{0}", str(first)).replace("{1}", str(first + 1)).replace("{2}", str(first + 2)))
    with db.read(db_path) as con:
        report = audit.verify(con)
    assert not report.ok
    assert report.first_broken == first + first_broken
    assert report.reason


def test_rewriting_a_row_with_its_own_hash_still_breaks_the_next_link(db_path: Path) -> None:
    first = _first_seq(db_path)
    _write_three(db_path)
    with db.read(db_path) as con:
        row = con.one(
            "SELECT seq, logged_at, actor, action, table_name, row_key, before_json, prev_hash"
            " FROM trace_log WHERE seq = ?",
            [first + 1],
        )
    assert row is not None
    forged_after = '{"n":99}'
    forged = trace.row_hash(row[0], row[1], row[2], row[3], row[4], row[5], row[6], forged_after, row[7])
    _raw(db_path, f"UPDATE trace_log SET after_json = '{forged_after}', hash = '{forged}' WHERE seq = {first + 1}")
    with db.read(db_path) as con:
        assert audit.verify(con).first_broken == first + 2


def test_trace_needs_a_write_connection(db_path: Path) -> None:
    with db.read(db_path) as con, pytest.raises(RuntimeError):
        trace.record(con, action="x", table="t", key="k", before=None, after=None)

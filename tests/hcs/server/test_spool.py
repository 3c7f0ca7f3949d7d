"""The spool on its own, on both engines (SQLite, PostgreSQL): durable commit, resume
with the at-least-once note, orphans removed, a full spool refused, retention."""

import pytest

from hcs.server.spool import AT_LEAST_ONCE_NOTE, SpoolFull
from hcs.server.spool import SqlSpool as Spool
from tests.hcs.server.helpers import make_dicom


def commit(spool: Spool, job_id: str, seq: int, films: int = 2, source=None) -> None:
    incoming = spool.incoming()
    incoming.copy_from("a.dcm", source)
    spool.commit_job(job_id, seq, {"printer": "p"}, "MED", "p", films, incoming)


def test_resume_after_a_crash_mid_film(tmp_path, make_spool):
    image = make_dicom(tmp_path / "a.dcm")
    spool = make_spool(tmp_path / "spool")
    spool.open()
    commit(spool, "job1", 1, source=image)
    commit(spool, "job2", 2, source=image)
    spool.set_film("job1", 0, state="printed")
    spool.set_film("job1", 1, state="sending")
    spool.set_job("job1", "printing", printer="p")
    spool.set_job("job2", "done")
    (tmp_path / "spool" / "jobs" / "orphan").mkdir()  # a folder whose rows never committed
    spool.close()  # as a kill -9 would leave it: nothing more is written

    again = make_spool(tmp_path / "spool")
    again.open()
    [job] = again.unfinished()
    assert job["id"] == "job1" and job["next_film"] == 1 and job["printer"] == "p"
    film = again.film("job1", 1)
    assert film["state"] == "pending" and film["notes"] == [AT_LEAST_ONCE_NOTE]
    assert not (tmp_path / "spool" / "jobs" / "orphan").exists()
    assert again.image_paths("job1")[0].read_bytes() == image.read_bytes()
    assert again.frames("job1") == [(again.image_paths("job1")[0], 0)]


def test_a_full_spool_refuses_and_keeps_the_old_jobs(tmp_path, make_spool):
    image = make_dicom(tmp_path / "a.dcm", 64, 64)
    spool = make_spool(tmp_path / "spool", max_bytes=image.stat().st_size * 1.5)
    spool.open()
    commit(spool, "job1", 1, source=image)
    with pytest.raises(SpoolFull, match="the spool is full"):
        commit(spool, "job2", 2, source=image)
    assert [j["id"] for j in spool.jobs()] == ["job1"]
    spool.reserve_bytes = 1 << 60
    spool.max_bytes = 1 << 60
    with pytest.raises(SpoolFull, match="must stay free"):
        spool.check_room(1)


def test_retention_purges_finished_jobs(tmp_path, make_spool):
    image = make_dicom(tmp_path / "a.dcm")
    spool = make_spool(tmp_path / "spool", retention=60)
    spool.open()
    commit(spool, "old", 1, source=image)
    commit(spool, "live", 2, source=image)
    spool.set_job("old", "done")
    import time

    assert spool.purge(time.time() + 30) == []
    assert spool.purge(time.time() + 120) == ["old"]
    assert spool.job("old") is None and not spool.job_dir("old").exists()
    assert spool.job("live") is not None


def test_the_purge_forgets_a_job_and_keeps_its_at_least_once_edge_counted(tmp_path, make_spool):
    """A film caught ``sending`` is counted once; purging its finished job (rows, files,
    and with PostgreSQL its edge row, image bytes and previews) keeps the count, and so
    does reopening the spool."""
    import time

    image = make_dicom(tmp_path / "a.dcm")
    spool = make_spool(tmp_path / "spool", retention=60)
    spool.open()
    commit(spool, "old", 1, source=image)
    commit(spool, "live", 2, source=image)
    spool.store_preview("old", 0, b"\x89PNG old")
    spool.set_film("old", 0, state="sending")
    spool.set_job("old", "printing", printer="p")
    spool.unfinished()  # as a restart finds it: the film gets its note, the edge is counted
    assert spool.film("old", 0)["notes"] == [AT_LEAST_ONCE_NOTE]
    assert spool.edges() == 1
    spool.set_job("old", "done")
    assert spool.purge(time.time() + 120) == ["old"]
    assert spool.job("old") is None and spool.edges() == 1
    if spool.backend == "postgresql":
        for table in ("edges", "image_data", "previews", "films", "images", "events"):
            row = spool._one(f"SELECT COUNT(*) AS n FROM {table} WHERE job_id = 'old'")
            assert row["n"] == 0, table
        assert spool._one("SELECT COUNT(*) AS n FROM image_data")["n"] == 1  # the live job's
    spool.close()
    again = make_spool(tmp_path / "spool")
    again.open()
    assert again.edges() == 1 and again.job("live") is not None
    again.close()


def test_an_older_spool_starts_its_edge_counter_from_its_films_notes(tmp_path):
    """A spool.db written before the counter existed: the count starts at the notes."""
    import json
    import sqlite3

    from hcs.server.spool import SqliteSpool

    image = make_dicom(tmp_path / "a.dcm")
    spool = SqliteSpool(tmp_path / "spool")
    spool.open()
    commit(spool, "job1", 1, source=image)
    spool.close()
    db = sqlite3.connect(tmp_path / "spool" / "spool.db")
    with db:
        db.execute("DROP TABLE counters")
        db.execute("UPDATE films SET notes = ?", (json.dumps([AT_LEAST_ONCE_NOTE]),))
    db.close()
    again = SqliteSpool(tmp_path / "spool")
    again.open()
    assert again.edges() == 2  # two films, each with its note
    again.close()


def test_a_sessions_films_are_recorded_together_or_not_at_all(tmp_path, make_spool):
    """A collated session's films go ``sending`` and then ``printed`` in one transaction
    each time: a failure (a kill, the database going away) between two of the rows
    leaves none changed, so a restart never prints half a session again."""
    image = make_dicom(tmp_path / "a.dcm")
    spool = make_spool(tmp_path / "spool")
    spool.open()
    commit(spool, "job1", 1, films=3, source=image)
    spool.set_films("job1", [(i, {"state": "sending"}) for i in range(3)])
    execute, updates = spool._execute, []

    def dies_on_the_second_film(db, sql, args=()):
        if sql.startswith("UPDATE films"):
            updates.append(args)
            if len(updates) == 2:
                raise ConnectionError("killed between two films")
        return execute(db, sql, args)

    spool._execute = dies_on_the_second_film
    with pytest.raises(ConnectionError):
        spool.set_films("job1", [(i, {"state": "printed"}) for i in range(3)])
    spool._execute = execute
    assert [spool.film("job1", i)["state"] for i in range(3)] == ["sending"] * 3
    spool.set_films("job1", [(i, {"state": "printed", "warnings": [f"w{i}"]}) for i in range(3)])
    films = [spool.film("job1", i) for i in range(3)]
    assert [f["state"] for f in films] == ["printed"] * 3
    assert [f["warnings"] for f in films] == [["w0"], ["w1"], ["w2"]]
    spool.close()

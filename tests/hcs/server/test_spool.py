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

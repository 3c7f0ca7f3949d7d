"""A real PostgreSQL for the tests: ``initdb`` into a temporary folder, a free port on
127.0.0.1, stopped after. As root (CI), the cluster runs as the ``postgres`` user
(initdb refuses root). One cluster serves the whole test session (starting one costs about
a second); each test gets a new, empty database of its own (:meth:`Cluster.database`,
``CREATE DATABASE``), so no test sees another's rows.

The tests' throwaway cluster runs with ``fsync = off`` (and ``full_page_writes = off``): what the
tests check is hcs's side of durability (a job is committed before ``201``; a server
killed with ``kill -9`` loses nothing; the database stopped and started again), and in all
of those the PostgreSQL server itself stops cleanly or keeps running, so its writes reach
the disk through the operating system either way. Only a crash of the machine would need
the flushes, and no test crashes the machine; ``synchronous_commit`` stays on, so a
commit still returns only once its WAL is written. Without the flushes a commit waits for
no disk, which matters when other work keeps the CI disk busy. (``bench/spool_compare.py``
asks for ``fsync = on``: it measures what a durable commit costs.)"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from hcs.peers import free_port


def bindir() -> Path:
    """Debian's PostgreSQL binaries (``make test`` installs the ``postgresql`` package)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    return Path(initdb).parent


def _version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


class Cluster:
    """One PostgreSQL server process with its own data folder."""

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = fsync  # on for benchmarks (a durable commit's real cost), off for tests
        self.bin = bindir()
        self.root = Path(tempfile.mkdtemp(prefix="hcs-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.user = "hcs"
        self._as: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # the Debian package creates this user
            self._as = ["runuser", "-u", "postgres", "--"]
            os.chown(self.root, pwd.getpwnam("postgres").pw_uid, -1)
        os.chmod(self.root, 0o755)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._as, *argv], capture_output=True, text=True, check=check, cwd=self.root
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-N",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
            " -c max_connections=200 -c synchronous_commit=on"
        )
        flush = "on" if self.fsync else "off"
        options += f" -c fsync={flush} -c full_page_writes={flush}"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            # from template0, copying its files: a third of the time of the default
            # (WAL_LOG from template1) here, and just as empty
            try:
                conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY = FILE_COPY")
            except psycopg.errors.SyntaxError:  # PostgreSQL before 15: no STRATEGY
                conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def processes(self) -> list[int]:
        """The postmaster (from its pid file) and every process it started: backends,
        checkpointer, WAL writer..."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(entry.name))
        return [postmaster, *children]

    @contextlib.contextmanager
    def hung(self):
        """The database hangs (not refused: stopped): SIGSTOP to the postmaster first
        (it starts no new backend), then to every process it started; SIGCONT after.
        Connections stay open and the kernel still answers TCP, but nothing replies."""
        stopped = []
        try:
            for pid in self.processes():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            yield stopped
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def cluster(fsync: bool = False):
    pg = Cluster(fsync)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.destroy()


def wait_until(predicate, timeout: float = 30.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(step)
    return value

"""Fixtures of the server tests: the spool's two engines. A test that takes ``backend``
runs once on SQLite and once on a real PostgreSQL (one cluster per session, started by
``tests.pg``, a fresh database per test)."""

from __future__ import annotations

import pytest

from tests import pg


@pytest.fixture(scope="session")
def postgres():
    with pg.cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> dict:
    """The ``[spool]`` table for the configuration: empty (SQLite), or a new database."""
    if request.param == "sqlite":
        return {}
    cluster = request.getfixturevalue("postgres")
    return {"backend": "postgresql", "url": cluster.database(), "lease": 2}


@pytest.fixture
def make_spool(backend):
    """A spool of the test's engine on a folder: ``make_spool(root, **limits)``."""
    from hcs.server.spool import SqliteSpool

    def make(root, **limits):
        if not backend:
            return SqliteSpool(root, **limits)
        from hcs.server.pgspool import PostgresSpool

        return PostgresSpool(root, backend["url"], "test", None, **limits)

    return make

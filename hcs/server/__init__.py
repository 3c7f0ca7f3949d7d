"""The hardcopy server: clients over HTTP/JSON, a durable spool, a priority queue with
pre-emption between films, one worker per printer, hot configuration, a web console.

One module per job: :mod:`~hcs.server.config` (TOML), :mod:`~hcs.server.jobspec` (a
job as a client sends it), :mod:`~hcs.server.states` (job and film states and their transitions),
:mod:`~hcs.server.spool` (the spool and the queue in SQL: SQLite WAL + files),
:mod:`~hcs.server.pgspool` (the same on PostgreSQL, shared by a group of servers),
:mod:`~hcs.server.database` (the one thread that makes every spool call, off the event
loop), :mod:`~hcs.server.jobs` (the one service that changes jobs and films),
:mod:`~hcs.server.live` (what changed, to the consoles' event streams),
:mod:`~hcs.server.queue` (the queue's rules as pure logic), :mod:`~hcs.server.formatting` (a film
for the driver, and its preview), :mod:`~hcs.server.worker` (one per printer),
:mod:`~hcs.server.http` and :mod:`~hcs.server.openapi` (the client protocol),
:mod:`~hcs.server.metrics`, :mod:`~hcs.server.app` (wiring, SIGHUP) and
:mod:`~hcs.server.cli`. ``docs/server.md`` describes it for users.
"""

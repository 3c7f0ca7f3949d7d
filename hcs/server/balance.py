"""Printers spread across a group of servers: who should hold a busy printer. Pure logic.

In a group (several ``hcs serve`` on one PostgreSQL spool) a printer is printed on by the
one instance holding its lease. Left alone, the instance that starts first takes every
printer and the others only wait for it to die. The rule here spreads the work:

- Each instance announces itself (a row with a heartbeat) and the printers its
  configuration serves. A printer is *busy* while its holder has work for it.
- At a film boundary, the holder of a busy printer asks :func:`hand_over_to`: if it holds
  at least two busy printers more than another live instance that serves this printer, it
  releases the printer *to* that instance (the least loaded one; ties by name). The lease
  is released only between films, never with a film in hand.
- Repeated at every boundary, this ends with no instance holding two more busy printers
  than another that could print them: with ``n`` busy printers every one of ``k`` live
  instances serves, each holds ``floor(n/k)`` or ``ceil(n/k)`` of them, its fair share.

Nothing here touches the database: the spool reads the group's load, the jobs service
calls this, the worker releases the lease.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A live instance of the group, as the spool reads it."""

    name: str
    printers: frozenset[str]  # what its configuration serves
    busy: int  # busy printers it holds (or is being handed)


def fair_share(busy_printers: int, instances: int) -> int:
    """The most busy printers one instance should hold: ``ceil(busy / instances)``."""
    if instances <= 0:
        return busy_printers
    return -(-busy_printers // instances)


def hand_over_to(
    printer: str, me: str, members: Iterable[Member], pending: Mapping[str, int] | None = None
) -> str | None:
    """The instance ``me`` should give busy ``printer`` to now, or None to keep it.

    ``pending`` counts hand-overs this instance has decided and not yet written (the
    lease is released after the printer's association is closed): a printer on its
    way counts for its recipient and no longer for ``me``."""
    pending = pending or {}
    load = {m.name: m.busy + pending.get(m.name, 0) for m in members}
    if me not in load:
        return None  # not announced (yet): no view of the group to act on
    mine = load[me] - sum(pending.values())
    others = sorted(
        (load[m.name], m.name) for m in members if m.name != me and printer in m.printers
    )
    if others and mine >= others[0][0] + 2:
        return others[0][1]
    return None

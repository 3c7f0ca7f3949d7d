"""The job queue: priority, then FIFO, with pre-emption between films. Pure logic, no I/O.

The seed's Jobqueue "consists of several jobs, queued in priority and FIFO order. This
permits pre-emptive printing of high priority jobs". Here a printer's worker asks the
queue for *one film at a time*: :meth:`JobQueue.next_film` answers with the best job
that printer may print now — highest priority, then oldest — and the worker prints that
job's next film. Pre-emption falls out of that question being asked again between
films: when a HIGH job arrives while a LOW job is half printed, the next answer is the
HIGH job, and the LOW job, still the oldest of its priority, is the answer again once
the HIGH job is done, resuming from its next film.

A job that has started on a printer stays on that printer (its films should come out of
one printer), unless that printer is removed. A job for a group goes to the first of
its printers that asks while it waits ("first free").

A collated job is printed as one Film Session: the worker's one turn takes all its
films (:class:`hcs.server.jobs.Turn`), so the question is next asked when the session
has ended, and a HIGH job that arrived meanwhile waits for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hcs.server.states import TERMINAL, Priority, State

__all__ = ["TERMINAL", "Entry", "JobQueue", "Priority", "State", "order_of"]


@dataclass
class Entry:
    """What the queue knows of a job: enough to order it, nothing about pixels."""

    job_id: str
    priority: Priority
    seq: int  # arrival order, persisted, so FIFO survives a restart
    target: str  # a printer or a group name
    films: int
    next_film: int = 0  # index of the first film not yet done
    state: State = State.QUEUED
    printer: str | None = None  # where it started (sticky), or None
    reason: str | None = None
    cancel_requested: bool = False
    candidates: tuple[str, ...] = field(default_factory=tuple)

    @property
    def order(self) -> tuple[int, int]:
        return (-int(self.priority), self.seq)

    @property
    def waiting(self) -> bool:
        return self.state in (State.QUEUED, State.PREEMPTED)


class JobQueue:
    """All jobs not yet finished, and the rules for which one prints next."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._next_seq = 1

    # ------------------------------------------------------------------ add / remove
    def next_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def add(self, entry: Entry) -> None:
        if entry.job_id in self.entries:
            raise KeyError(f"job {entry.job_id} is queued already")
        self.entries[entry.job_id] = entry
        self._next_seq = max(self._next_seq, entry.seq + 1)

    def get(self, job_id: str) -> Entry | None:
        return self.entries.get(job_id)

    def waiting(self) -> list[Entry]:
        """Unfinished jobs in the order they would print (held ones last)."""
        live = [e for e in self.entries.values() if e.state not in TERMINAL]
        return sorted(live, key=lambda e: (e.state is State.HELD, e.order))

    # ------------------------------------------------------------------ the question
    def next_film(self, printer: str) -> Entry | None:
        """The job whose next film ``printer`` should print now, or None.

        Does not change anything: the worker calls :meth:`start_film` when it begins.
        """
        best: Entry | None = None
        for entry in self.entries.values():
            if not entry.waiting or entry.cancel_requested:
                continue
            if printer not in entry.candidates:
                continue
            if entry.printer is not None and entry.printer != printer:
                continue
            if best is None or entry.order < best.order:
                best = entry
        return best

    def preempting(self, printer: str, running: Entry) -> Entry | None:
        """A waiting job that should go before ``running``'s next film on ``printer``."""
        best = self.next_film(printer)
        if best is not None and best is not running and best.order < running.order:
            return best
        return None

    # ------------------------------------------------------------------ transitions
    def start_film(self, entry: Entry, printer: str) -> int:
        """``printer`` begins ``entry``'s next film; returns that film's index."""
        if not entry.waiting:
            raise ValueError(f"job {entry.job_id} is {entry.state}, not waiting")
        if entry.next_film >= entry.films:
            raise ValueError(f"job {entry.job_id} has no film {entry.next_film + 1}")
        entry.state, entry.printer, entry.reason = State.PRINTING, printer, None
        return entry.next_film

    def film_done(self, entry: Entry) -> State:
        """The film in hand printed; the job is done or waits for its next film."""
        entry.next_film += 1
        if entry.next_film >= entry.films:
            entry.state = State.DONE
        elif entry.cancel_requested:
            entry.state = State.CANCELLED
        else:
            entry.state = State.PREEMPTED
        return entry.state

    def film_failed(self, entry: Entry, reason: str) -> None:
        entry.state, entry.reason = State.FAILED, reason

    def hold(self, entry: Entry, reason: str, unpin: bool = False) -> None:
        """Keep a job from printing until :meth:`release`; a started job keeps its place."""
        if entry.state in TERMINAL:
            return
        entry.state, entry.reason = State.HELD, reason
        if unpin:
            entry.printer = None

    def release(self, entry: Entry) -> None:
        if entry.state is State.HELD:
            entry.state = State.PREEMPTED if entry.next_film else State.QUEUED
            entry.reason = None

    def cancel(self, entry: Entry) -> bool:
        """Cancel now if no film is being printed (True); else after the film in hand."""
        if entry.state in TERMINAL:
            return False
        if entry.state is State.PRINTING:
            entry.cancel_requested = True
            return False
        entry.state = State.CANCELLED
        return True

    def forget(self, job_id: str) -> None:
        self.entries.pop(job_id, None)

    # ------------------------------------------------------------------ configuration
    def retarget(
        self,
        printers_for: dict[str, tuple[str, ...]],
        removed_reason: str = "printer removed from the configuration",
    ) -> list[Entry]:
        """Apply a new configuration: ``printers_for`` maps each target name to its
        printers. Jobs whose target is gone are held; held-for-that jobs whose target
        is back are released. Returns the entries whose state changed."""
        changed = []
        for entry in self.entries.values():
            if entry.state in TERMINAL:
                continue
            candidates = printers_for.get(entry.target, ())
            entry.candidates = tuple(candidates)
            if entry.printer is not None and entry.printer not in candidates:
                entry.printer = None  # its printer went away: the group may take it elsewhere
            if not candidates and entry.state is not State.PRINTING:
                if entry.state is not State.HELD or not (entry.reason or "").startswith(
                    removed_reason
                ):
                    self.hold(entry, f"{removed_reason}: {entry.target}")
                    changed.append(entry)
            elif (
                entry.state is State.HELD
                and entry.reason
                and entry.reason.startswith(removed_reason)
            ):
                self.release(entry)
                changed.append(entry)
        return changed


def order_of(entries: Iterable[Entry]) -> list[str]:
    """Job ids in print order (for tests and the console)."""
    return [e.job_id for e in sorted(entries, key=lambda e: e.order)]

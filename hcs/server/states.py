"""The server's vocabulary of states, and the only moves allowed between them.

A job moves through :class:`State`, a film through :class:`FilmState`. Both tables of
allowed transitions live here, next to the enums, so a move the model does not know is
an error at the place it is attempted (:class:`IllegalTransition`), not a silently
inconsistent row found later. :class:`hcs.server.jobs.Jobs` is the one place that
applies them.
"""

from __future__ import annotations

import enum


class Priority(enum.IntEnum):
    """Print Priority (2000,0020); a higher value is served first."""

    LOW = 0
    MED = 1
    HIGH = 2

    @classmethod
    def parse(cls, text: str) -> Priority:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"{text!r} is not HIGH, MED or LOW") from None


class State(enum.StrEnum):
    """A job's state."""

    QUEUED = "queued"  # waiting; no film printed yet
    PRINTING = "printing"  # started on a printer: a film is in hand, or its next one is due
    PREEMPTED = "preempted"  # started, waiting for its next film (a higher job went first)
    HELD = "held"  # cannot print now; ``reason`` says why
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({State.DONE, State.FAILED, State.CANCELLED})
UNFINISHED = (State.QUEUED, State.PRINTING, State.PREEMPTED, State.HELD)

_ANY_END = {State.FAILED, State.CANCELLED}
JOB_TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.PRINTING, State.HELD, *_ANY_END}),
    State.PREEMPTED: frozenset({State.PRINTING, State.HELD, *_ANY_END}),
    State.PRINTING: frozenset(
        # the next film; a higher job first; not ready; the last film; a restart or a
        # failover puts a job whose film was in hand back in the queue
        {State.PRINTING, State.PREEMPTED, State.HELD, State.DONE, State.QUEUED, *_ANY_END}
    ),
    State.HELD: frozenset({State.HELD, State.QUEUED, State.PREEMPTED, State.PRINTING, *_ANY_END}),
    State.DONE: frozenset(),
    State.FAILED: frozenset(),
    State.CANCELLED: frozenset(),
}


class FilmState(enum.StrEnum):
    """A film's state, as its row in the spool says it."""

    PENDING = "pending"  # not printed yet (again, after a hold or a restart)
    FORMATTING = "formatting"  # being formatted for its printer
    # a collated job's film: its Film Box is being made on the printer, to be printed by
    # the session's one N-ACTION; nothing of it can have printed yet
    STAGED = "staged"
    SENDING = "sending"  # its DIMSE exchange is under way: the at-least-once window
    PRINTED = "printed"
    FAILED = "failed"


FILM_TRANSITIONS: dict[FilmState, frozenset[FilmState]] = {
    FilmState.PENDING: frozenset({FilmState.FORMATTING, FilmState.FAILED}),
    FilmState.FORMATTING: frozenset(
        {FilmState.SENDING, FilmState.STAGED, FilmState.FAILED, FilmState.PENDING}
    ),
    # SENDING once the session's N-ACTION is about to go out; PENDING when the printer
    # was not ready, the spool went away or a restart found it (no note: not printed)
    FilmState.STAGED: frozenset({FilmState.SENDING, FilmState.FAILED, FilmState.PENDING}),
    # PENDING from SENDING: the printer was not ready (held), or a restart/failover
    # found the film in hand (the at-least-once edge, with a note)
    FilmState.SENDING: frozenset({FilmState.PRINTED, FilmState.FAILED, FilmState.PENDING}),
    FilmState.PRINTED: frozenset(),
    FilmState.FAILED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A move the state model does not allow: a bug in the server, never bad input."""


def check_job(current: State | str, new: State) -> None:
    if new not in JOB_TRANSITIONS[State(current)]:
        raise IllegalTransition(f"a job cannot go from {current} to {new}")


def check_film(current: FilmState | str, new: FilmState) -> None:
    if new not in FILM_TRANSITIONS[FilmState(current)]:
        raise IllegalTransition(f"a film cannot go from {current} to {new}")

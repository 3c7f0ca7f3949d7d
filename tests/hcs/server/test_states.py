"""The state model: every move the server makes is in the tables, and a move that is
not is refused as a bug (IllegalTransition), never written."""

import pytest

from hcs.server.states import (
    FILM_TRANSITIONS,
    JOB_TRANSITIONS,
    TERMINAL,
    FilmState,
    IllegalTransition,
    State,
    check_film,
    check_job,
)


def test_every_state_has_a_row_and_terminal_states_are_final():
    assert set(JOB_TRANSITIONS) == set(State)
    assert set(FILM_TRANSITIONS) == set(FilmState)
    for state in TERMINAL:
        assert JOB_TRANSITIONS[state] == frozenset()
    assert FILM_TRANSITIONS[FilmState.PRINTED] == frozenset()


def test_a_film_goes_pending_formatting_sending_printed_and_not_backwards():
    check_film(FilmState.PENDING, FilmState.FORMATTING)
    check_film(FilmState.FORMATTING, FilmState.SENDING)
    check_film(FilmState.SENDING, FilmState.PRINTED)
    check_film(FilmState.SENDING, FilmState.PENDING)  # held, or the at-least-once edge
    with pytest.raises(IllegalTransition, match="printed to pending"):
        check_film(FilmState.PRINTED, FilmState.PENDING)
    with pytest.raises(IllegalTransition):
        check_film(FilmState.PENDING, FilmState.PRINTED)


def test_a_collated_film_is_staged_until_its_session_action():
    check_film(FilmState.FORMATTING, FilmState.STAGED)
    check_film(FilmState.STAGED, FilmState.SENDING)  # just before the session's N-ACTION
    check_film(FilmState.STAGED, FilmState.PENDING)  # held, abandoned, or a restart: no note
    check_film(FilmState.STAGED, FilmState.FAILED)
    with pytest.raises(IllegalTransition):
        check_film(FilmState.STAGED, FilmState.PRINTED)  # printed only after an N-ACTION


def test_a_finished_job_never_moves_again():
    check_job(State.QUEUED, State.PRINTING)
    check_job("printing", State.PREEMPTED)
    for state in TERMINAL:
        for new in State:
            with pytest.raises(IllegalTransition):
                check_job(state, new)

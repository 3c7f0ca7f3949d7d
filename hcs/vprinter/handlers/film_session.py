"""The Basic Film Session SOP class (PS3.4 H.4.1): N-CREATE, N-SET, N-ACTION, N-DELETE.

One Film Session per association (H.4.1.2.1.3); printing the whole session is a
configuration choice (``film.session_print``) and collation another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.tag import Tag

from dimse import messages as m
from dimse.status import StatusCode
from hcs.vprinter import rules
from hcs.vprinter.classes import PRINT_ACTION
from hcs.vprinter.handlers import printing
from hcs.vprinter.instances import FilmSession
from hcs.vprinter.replies import Failure, Reply, answer, as_dataset, fail_if_failed, respond

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def session_create(session: PrintSession, context, request: m.NCreateRQ) -> Reply:
    if session.film_session is not None:
        raise Failure(
            StatusCode.DUPLICATE_SOP_INSTANCE, "one Film Session per association (H.4.1.2.1.3)"
        )
    dataset = session.dataset(context, request)
    values, problems = rules.check_attributes(dataset, rules.FILM_SESSION, session.config)
    _memory_allocation(session, values, problems)
    fail_if_failed(problems)
    uid = session.new_uid(request.affected_sop_instance_uid)
    film = session.config.film
    attrs = {
        "NumberOfCopies": "1",
        "PrintPriority": "MED",
        "MediumType": film.medium_types[0],
        "FilmDestination": film.destinations[0],
        "FilmSessionLabel": "",
    }
    attrs.update(values)
    session.film_session = FilmSession(uid, attrs)
    return answer(request, problems, instance=uid, dataset=as_dataset(attrs))


def _memory_allocation(session: PrintSession, values: dict, problems: list[rules.Problem]) -> None:
    if "MemoryAllocation" in values and not session.config.film.memory_allocation:
        values.pop("MemoryAllocation")
        problems.append(
            rules.Problem(
                StatusCode.MEMORY_ALLOCATION_NOT_SUPPORTED,
                int(Tag("MemoryAllocation")),
                "memory allocation not supported",
            )
        )


def _film_session(session: PrintSession, request: m.Message) -> FilmSession:
    film_session = session.film_session
    if film_session is None or film_session.uid != request.requested_sop_instance_uid:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Film Session")
    return film_session


def session_set(session: PrintSession, context, request: m.NSetRQ) -> Reply:
    film_session = _film_session(session, request)
    dataset = session.dataset(context, request)
    values, problems = rules.check_attributes(dataset, rules.FILM_SESSION, session.config)
    _memory_allocation(session, values, problems)
    fail_if_failed(problems)
    film_session.attrs.update(values)
    return answer(request, problems, instance=film_session.uid, dataset=as_dataset(values))


def session_action(session: PrintSession, context, request: m.NActionRQ) -> Reply:
    film_session = _film_session(session, request)
    if request.action_type_id != PRINT_ACTION:
        raise Failure(StatusCode.NO_SUCH_ACTION_TYPE, f"action {request.action_type_id}")
    if not session.config.film.session_print:
        raise Failure(StatusCode.UNRECOGNIZED_OPERATION, "printer prints film boxes only")
    if not film_session.film_boxes:
        raise Failure(StatusCode.FILM_SESSION_HAS_NO_FILM_BOX, "the film session has no film box")
    warning = None
    if not any(b.pixels is not None for f in film_session.film_boxes for b in f.image_boxes):
        warning = StatusCode.FILM_SESSION_EMPTY_PAGE
    elif not session.config.film.collation:
        warning = StatusCode.FILM_SESSION_PRINTING_NOT_SUPPORTED
    else:
        warning = printing.first_box_warning(film_session.film_boxes)
    order = printing.order(session, film_session, film_session.film_boxes, "film session")
    reply = printing.action_reply(session, request, film_session.uid, order, warning)
    return reply


def session_delete(session: PrintSession, context, request: m.NDeleteRQ) -> Reply:
    film_session = _film_session(session, request)
    session.film_session = None
    session.release_uid(film_session.uid)
    return Reply(respond(request, StatusCode.SUCCESS, instance=film_session.uid))

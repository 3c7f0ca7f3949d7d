"""The Basic Annotation Box SOP class (PS3.4 H.4.4): N-SET of a film box's text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.multival import MultiValue
from pydicom.tag import Tag

from dimse import messages as m
from dimse.status import StatusCode
from hcs.vprinter import rules
from hcs.vprinter.replies import Failure, Reply, answer, fail_if_failed

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def annotation_set(session: PrintSession, context, request: m.NSetRQ) -> Reply:
    uid = request.requested_sop_instance_uid
    target = None
    if session.film_session is not None:
        for film_box in session.film_session.film_boxes:
            for annotation in film_box.annotation_boxes:
                if annotation.uid == uid:
                    target = annotation
    if target is None:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Annotation Box")
    dataset = session.dataset(context, request)
    values, problems = rules.check_attributes(dataset, rules.ANNOTATION_BOX, session.config)
    fail_if_failed(problems)
    if int(values["AnnotationPosition"]) != target.position:
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE,
            f"this annotation box is at position {target.position}",
            [int(Tag("AnnotationPosition"))],
        )
    text = values.get("TextString", "") or ""
    if isinstance(text, MultiValue):  # a backslash in the text split the LO into values
        text = "\\".join(str(v) for v in text)
    target.text = str(text)
    return answer(request, problems, instance=target.uid)

"""The Presentation LUT SOP class (PS3.4 H.4.9): N-CREATE, N-DELETE, and references to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.dataset import Dataset
from pydicom.tag import Tag

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from hcs.vprinter import rules
from hcs.vprinter.instances import PresentationLUT
from hcs.vprinter.replies import Failure, Reply, answer, fail_if_failed, respond

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def plut_reference(session: PrintSession, sequence) -> PresentationLUT | None:
    if sequence is None:
        return None
    tag = int(Tag("ReferencedPresentationLUTSequence"))
    if len(sequence) != 1:
        raise Failure(StatusCode.INVALID_ATTRIBUTE_VALUE, "one Presentation LUT reference", [tag])
    uid = sequence[0].get("ReferencedSOPInstanceUID")
    if (
        sequence[0].get("ReferencedSOPClassUID") != uids.PRESENTATION_LUT
        or uid not in session.pluts
    ):
        raise Failure(StatusCode.INVALID_ATTRIBUTE_VALUE, "no such Presentation LUT", [tag])
    return session.pluts[uid]


def plut_create(session: PrintSession, context, request: m.NCreateRQ) -> Reply:
    dataset = session.dataset(context, request)
    values, problems = rules.check_presentation_lut(dataset, session.config)
    fail_if_failed(problems)
    uid = session.new_uid(request.affected_sop_instance_uid)
    shape = values.get("PresentationLUTShape")
    session.pluts[uid] = PresentationLUT(uid, str(shape) if shape else None, values.get("lut"))
    out = Dataset()
    if shape:
        out.PresentationLUTShape = shape
    return answer(request, problems, instance=uid, dataset=out)


def plut_delete(session: PrintSession, context, request: m.NDeleteRQ) -> Reply:
    uid = request.requested_sop_instance_uid
    if uid not in session.pluts:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Presentation LUT")
    del session.pluts[uid]
    session.release_uid(uid)
    return Reply(respond(request, StatusCode.SUCCESS, instance=uid))

"""How the virtual printer answers a request: a reply, a failure, the response built.

Every response is built by :func:`respond`, on top of the request's own
:meth:`dimse.messages.Request.respond` (which copies only UIDs that are UIDs). A handler
that finds a problem raises :class:`Failure` and the session turns it into the response.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from dimse import messages as m
from dimse.status import StatusCode
from hcs.vprinter import rules
from hcs.vprinter.instances import PrintOrder


@dataclass
class Reply:
    """What a handler returns: the response, and for a print N-ACTION the order."""

    response: m.Message | None
    order: PrintOrder | None = None
    description: str = ""


class Failure(Exception):
    """Stop handling a request and answer with this status."""

    def __init__(self, code: int, comment: str = "", tags: list[int] | None = None):
        super().__init__(comment)
        self.code = code
        self.comment = comment
        self.tags = tags or []


def respond(
    request: m.Message,
    status: int,
    *,
    instance: str | None = None,
    dataset: Dataset | None = None,
    comment: str | None = None,
    tags: list[int] | None = None,
) -> m.Message | None:
    """The response to ``request`` (see :meth:`dimse.messages.Request.respond`), with
    ``instance`` as its Affected SOP Instance UID when given, ``comment`` as the Error
    Comment and ``tags`` as the Offending Element (and Attribute Identifier List for
    the statuses that name attributes)."""
    if not isinstance(request, m.Request) or request.RESPONSE is None:
        return None
    names = {f.name for f in dataclasses.fields(request.RESPONSE)}
    kwargs: dict[str, Any] = {}
    if instance is not None and "affected_sop_instance_uid" in names:
        kwargs["affected_sop_instance_uid"] = instance
    if comment:
        kwargs["error_comment"] = m.fit_error_comment(comment)
    if tags:
        kwargs["offending_element"] = tuple(tags)
        if "attribute_identifier_list" in names and status in (
            StatusCode.NO_SUCH_ATTRIBUTE,
            StatusCode.ATTRIBUTE_LIST_ERROR,
            StatusCode.MISSING_ATTRIBUTE,
        ):
            kwargs["attribute_identifier_list"] = tuple(tags)
    if dataset is not None and "dataset" in names:
        kwargs["dataset"] = dataset
    return request.respond(status, **kwargs)


def answer(
    request: m.Message,
    problems: list[rules.Problem],
    *,
    instance: str | None = None,
    dataset: Dataset | None = None,
    extra_warning: int | None = None,
) -> Reply:
    """The reply for an operation that was carried out: the worst problem's status
    (a warning), else ``extra_warning``, else Success."""
    verdict = rules.worst(problems)
    if verdict is None:
        code = extra_warning or StatusCode.SUCCESS
        return Reply(respond(request, code, instance=instance, dataset=dataset))
    code, tags, text = verdict
    return Reply(
        respond(request, code, instance=instance, dataset=dataset, comment=text, tags=tags)
    )


def fail_if_failed(problems: list[rules.Problem]) -> None:
    """Raise :class:`Failure` when the worst problem is a failure, not a warning."""
    verdict = rules.worst(problems)
    if verdict is not None and verdict[0] not in rules.WARNINGS:
        code, tags, text = verdict
        raise Failure(code, text, tags)


def reference(sop_class: str, sop_instance: str) -> Dataset:
    """A Referenced SOP Class/Instance item."""
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item


def as_dataset(attrs: Mapping[str, Any]) -> Dataset:
    """Attribute values by keyword as a data set (the internal ``plut`` key left out)."""
    dataset = Dataset()
    for keyword, value in attrs.items():
        if keyword == "plut":
            continue
        if isinstance(value, list) and value and isinstance(value[0], Dataset):
            value = DicomSequence(value)
        setattr(dataset, keyword, value)
    return dataset

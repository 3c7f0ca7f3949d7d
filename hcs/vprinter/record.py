"""The JSON record of an association: every DIMSE message both ways, with its status.

A test (or a person debugging an SCU) reads ``associations/a0001.json`` to see what
the SCU sent and what the printer answered, attribute by attribute, without a packet
capture. Pixel data and other binary values appear as ``"<65536 bytes>"``: the record
says what arrived, the PNG and the optional DICOM files hold the pixels.

Files are written whole to a temporary name and renamed, so a reader never sees half
a record, even while the printer is running.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from dimse import messages as m
from dimse import uids
from dimse.status import describe_status

_MAX_TEXT = 200
MAX_ENTRIES = 50_000
"""Entries kept per association record; later ones are counted, not kept."""


def tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def summarize_value(value: Any) -> Any:
    """A JSON-able rendering of one element value; binary values become their length."""
    if isinstance(value, DicomSequence | list) and all(isinstance(v, Dataset) for v in value):
        return [summarize_dataset(item) for item in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, MultiValue | list | tuple):
        return [summarize_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def summarize_dataset(dataset: Dataset | None) -> dict[str, Any] | None:
    """Keyword -> value for every element (unknown tags by their number)."""
    if dataset is None:
        return None
    out: dict[str, Any] = {}
    for element in dataset:
        name = element.keyword or tag_text(int(element.tag))
        out[name] = summarize_value(element.value)
    return out


def summarize_message(message: m.Message, dataset: Dataset | None = None) -> dict[str, Any]:
    """The command fields of ``message`` that matter to a reader, plus its data set."""
    out: dict[str, Any] = {"message": message.NAME}
    for name in (
        "message_id",
        "message_id_being_responded_to",
        "affected_sop_class_uid",
        "requested_sop_class_uid",
        "affected_sop_instance_uid",
        "requested_sop_instance_uid",
        "action_type_id",
        "event_type_id",
        "error_comment",
    ):
        value = getattr(message, name, None)
        if value is not None:
            out[name] = value
    sop_class = out.get("affected_sop_class_uid") or out.get("requested_sop_class_uid")
    if sop_class:
        out["sop_class_name"] = uids.uid_name(sop_class)
    status = getattr(message, "status", None)
    if status is not None:
        out["status"] = status
        out["status_text"] = describe_status(status)
    for name in ("offending_element", "attribute_identifier_list"):
        value = getattr(message, name, None)
        if value:
            out[name] = [tag_text(tag) for tag in value]
    if dataset is not None:
        out["dataset"] = summarize_dataset(dataset)
    elif getattr(message, "dataset", None) is not None and not isinstance(message.dataset, Dataset):
        out["dataset"] = "<not decoded>"
    elif isinstance(getattr(message, "dataset", None), Dataset):
        out["dataset"] = summarize_dataset(message.dataset)
    return out


class AssociationRecord:
    """Everything that happened on one association, in order."""

    def __init__(self, number: int, peer: str):
        self.number = number
        self.name = f"a{number:04d}"
        self.started = time.time()
        self._t0 = time.monotonic()
        self.data: dict[str, Any] = {
            "association": number,
            "name": self.name,
            "peer": peer,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.started)),
            "calling_ae": None,
            "called_ae": None,
            "result": None,
            "contexts": [],
            "faults": [],
            "messages": [],
            "films": [],
            "print_jobs": [],
            "end": None,
        }

    def note(self, key: str, value: Any) -> None:
        self.data[key] = value

    def event(
        self, direction: str, context_id: int | None, message: m.Message, dataset=None, **extra
    ):
        if self._full():
            return
        entry = {"t": round(time.monotonic() - self._t0, 6), "dir": direction}
        if context_id is not None:
            entry["context_id"] = context_id
        entry.update(summarize_message(message, dataset))
        entry.update(extra)
        self.data["messages"].append(entry)

    def happening(self, what: str, **extra) -> None:
        """Something that is not a DIMSE message: a fault acting, an abort, a drop."""
        if self._full():
            return
        entry = {"t": round(time.monotonic() - self._t0, 6), "dir": "--", "what": what}
        entry.update(extra)
        self.data["messages"].append(entry)

    def _full(self) -> bool:
        """Past :data:`MAX_ENTRIES` only count: a day-long association stays bounded."""
        if len(self.data["messages"]) < MAX_ENTRIES:
            return False
        self.data["messages_not_recorded"] = self.data.get("messages_not_recorded", 0) + 1
        return True

    def finish(self, end: str) -> None:
        self.data["end"] = end
        self.data["duration"] = round(time.monotonic() - self._t0, 6)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, default=str)
        handle.write("\n")
    os.replace(temporary, path)

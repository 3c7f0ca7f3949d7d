"""What a printer received, read back from the virtual printer's association records.

The virtual printer writes every DIMSE message of an association, both ways, with its
data set, to ``OUT/associations/aNNNN.json`` (``hcs.vprinter.record``). The wire-pinning
tests read those records: they see exactly what the SCU put on the wire, before the
printer filled in any default, so an attribute we stop sending or a request we stop
making fails a test (``make mutate`` checks that it does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dimse import uids

SHORT_NAMES = {
    uids.PRINTER: "Printer",
    uids.BASIC_FILM_SESSION: "Film Session",
    uids.BASIC_FILM_BOX: "Film Box",
    uids.BASIC_GRAYSCALE_IMAGE_BOX: "Grayscale Image Box",
    uids.BASIC_COLOR_IMAGE_BOX: "Color Image Box",
    uids.PRESENTATION_LUT: "Presentation LUT",
    uids.BASIC_ANNOTATION_BOX: "Annotation Box",
    uids.PRINT_JOB: "Print Job",
    uids.PRINTER_CONFIGURATION_RETRIEVAL: "Printer Configuration",
    uids.VERIFICATION: "Verification",
}


@dataclass
class Received:
    """One request the printer received."""

    operation: str  # "N-CREATE Film Session", "N-SET Grayscale Image Box", ...
    message: dict[str, Any]
    transfer_syntax: str

    @property
    def dataset(self) -> dict[str, Any]:
        return self.message.get("dataset") or {}


@dataclass
class Association:
    record: dict[str, Any]
    requests: list[Received] = field(default_factory=list)

    @property
    def operations(self) -> list[str]:
        return [r.operation for r in self.requests]

    def only(self, operation: str) -> Received:
        found = [r for r in self.requests if r.operation == operation]
        assert len(found) == 1, f"{operation}: {len(found)} times in {self.operations}"
        return found[0]

    def all(self, operation: str) -> list[Received]:
        return [r for r in self.requests if r.operation == operation]


def associations(out: Path) -> list[Association]:
    """Every association the virtual printer writing to ``out`` recorded, in order,
    with the requests it received (responses and the printer's own requests left out)."""
    found = []
    for path in sorted((out / "associations").glob("a*.json")):
        record = json.loads(path.read_text())
        syntaxes = {c["id"]: c["transfer_syntax"] for c in record["contexts"] if c["accepted"]}
        association = Association(record)
        for message in record["messages"]:
            if message.get("dir") != "in" or not message.get("message", "").endswith("-RQ"):
                continue
            sop_class = message.get("affected_sop_class_uid") or message.get(
                "requested_sop_class_uid"
            )
            name = message["message"].removesuffix("-RQ")
            operation = f"{name} {SHORT_NAMES.get(sop_class, sop_class)}"
            association.requests.append(
                Received(operation, message, syntaxes.get(message.get("context_id"), "?"))
            )
        found.append(association)
    return found


def print_associations(out: Path) -> list[Association]:
    """The associations on which something was printed (an N-ACTION was received)."""
    return [
        a for a in associations(out) if any(r.operation.startswith("N-ACTION") for r in a.requests)
    ]

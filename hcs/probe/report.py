"""What ``hcs probe`` learned about a printer, as a value: text for a person, JSON, a profile.

Everything here is plain data filled in step by step by :mod:`hcs.probe.prober`; a
probe that stops early (the printer aborted, the time budget ran out) still has a
report of what it learned so far, with ``complete`` false and ``stopped`` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hcs.job.model import OperationRecord

# The verdict of one value tried in an N-CREATE (or N-SET).
ACCEPTED = "accepted"  # success (or a warning that is not about this value)
REFUSED = "refused"  # a failure status or 0x0116: the printer does not take this value
UNSUPPORTED = "unsupported"  # 0x0105 / 0x0107: the printer does not know the attribute
ABORTED = "aborted"  # the printer aborted or dropped the association instead of answering
NO_ANSWER = "no answer"  # the per-request timeout passed
NOT_TRIED = "not tried"  # the time budget ran out, or a step before it failed


@dataclass
class Trial:
    """One attribute value tried on its own."""

    operation: str  # "N-CREATE Film Box", "N-CREATE Film Session", "N-SET Image Box"
    attribute: str
    value: str
    verdict: str
    status: int | None = None
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "attribute": self.attribute,
            "value": self.value,
            "verdict": self.verdict,
            "status": self.status,
            "status_hex": None if self.status is None else f"0x{self.status:04X}",
            "detail": self.detail,
        }


@dataclass
class ProbeReport:
    host: str
    port: int
    called_ae: str
    calling_ae: str
    complete: bool = False
    stopped: str | None = None  # why the probe ended early
    network_failure: bool = False  # it ended on a network error or timeout (exit code 3)
    # Negotiation: SOP class name -> transfer syntax name -> "accepted" or the refusal.
    negotiation: dict[str, dict[str, str]] = field(default_factory=dict)
    negotiation_method: str | None = None
    peer_max_pdu: int | None = None
    printer: dict[str, str] = field(default_factory=dict)  # Printer N-GET attributes
    printer_nget: str | None = None  # "ok" or what went wrong
    configuration: dict[str, Any] | None = None  # Printer Configuration Retrieval summary
    trials: list[Trial] = field(default_factory=list)
    # 12-bit, presentation_lut (film box), presentation_lut_in_session, annotation ...
    supports: dict[str, bool | None] = field(default_factory=dict)
    annotation_boxes: int | None = None
    custom_formats: dict[int, int] = field(default_factory=dict)
    explicit_vr: str | None = None  # "honoured", "misread: ...", "not accepted", "not tested"
    quirks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # N-EVENT-REPORTs the printer sent
    operations: list[OperationRecord] = field(default_factory=list)
    associations: int = 0
    aborts: int = 0
    left_behind: list[str] = field(default_factory=list)  # instances we could not delete
    slowest_answer: float = 0.0  # seconds, of the value trials answered
    no_answer: bool = False  # a request went unanswered within the per-request timeout
    elapsed: float = 0.0
    tls: dict[str, Any] | None = None  # the TLS settings used, as profile keys

    # ------------------------------------------------------------------ queries
    def accepted(self, sop_class: str) -> list[str]:
        """The transfer syntax names accepted for one SOP class name."""
        return [ts for ts, result in self.negotiation.get(sop_class, {}).items() if result == "ok"]

    def values(self, attribute: str, verdict: str = ACCEPTED) -> list[str]:
        return [t.value for t in self.trials if t.attribute == attribute and t.verdict == verdict]

    def tried(self, attribute: str) -> list[Trial]:
        return [t for t in self.trials if t.attribute == attribute and t.verdict != NOT_TRIED]

    def quirk(self, text: str) -> None:
        if text not in self.quirks:
            self.quirks.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # ------------------------------------------------------------------ output
    def as_json(self) -> dict[str, Any]:
        """The report as JSON; ``hcs probe --json`` adds the profile written from it
        (``hcs.probe.profile.profile_table``, which reads this module, not the reverse)."""
        return {
            "command": "probe",
            "host": self.host,
            "port": self.port,
            "called_ae": self.called_ae,
            "calling_ae": self.calling_ae,
            "complete": self.complete,
            "stopped": self.stopped,
            "negotiation": self.negotiation,
            "negotiation_method": self.negotiation_method,
            "peer_max_pdu": self.peer_max_pdu,
            "printer": self.printer,
            "printer_nget": self.printer_nget,
            "configuration": self.configuration,
            "supports": self.supports,
            "annotation_boxes": self.annotation_boxes,
            "custom_formats": {str(k): v for k, v in self.custom_formats.items()},
            "explicit_vr": self.explicit_vr,
            "trials": [t.as_json() for t in self.trials],
            "quirks": self.quirks,
            "notes": self.notes,
            "events": self.events,
            "associations": self.associations,
            "aborts": self.aborts,
            "left_behind": self.left_behind,
            "elapsed_s": round(self.elapsed, 3),
            "slowest_answer_s": round(self.slowest_answer, 3),
            "operations": [r.as_json() for r in self.operations],
        }

    def text(self) -> str:
        """The readable report."""
        lines = [f"Printer {self.called_ae} at {self.host}:{self.port} (we are {self.calling_ae})"]
        if not self.complete:
            lines.append(f"PROBE INCOMPLETE: {self.stopped or 'stopped early'}")
            lines.append("  (what follows is what was learned before it stopped)")
        lines.append("")
        lines.append(
            "Negotiation" + (f" ({self.negotiation_method})" if self.negotiation_method else "")
        )
        for sop_class, results in self.negotiation.items():
            cells = ", ".join(
                f"{ts} {'accepted' if r == 'ok' else 'refused (' + r + ')'}"
                for ts, r in results.items()
            )
            lines.append(f"  {sop_class:24} {cells}")
        if self.peer_max_pdu is not None:
            lines.append(f"  max PDU it receives       {self.peer_max_pdu or 'unlimited'}")
        if self.explicit_vr:
            lines.append(f"  explicit VR               {self.explicit_vr}")
        lines.append("")
        lines.append(f"Printer N-GET: {self.printer_nget or 'not asked'}")
        for keyword, value in self.printer.items():
            lines.append(f"  {keyword:24} {value}")
        if self.configuration is not None:
            lines.append("Printer Configuration Retrieval:")
            for key, value in self.configuration.items():
                lines.append(f"  {key:24} {value}")
        lines.append("")
        lines.append("Values (one N-CREATE or N-SET each)")
        attributes: dict[str, list[Trial]] = {}
        for trial in self.trials:
            attributes.setdefault(trial.attribute, []).append(trial)
        for attribute, trials in attributes.items():
            taken = [t.value for t in trials if t.verdict == ACCEPTED]
            others = [
                f"{t.value} {t.verdict}"
                + (f" 0x{t.status:04X}" if t.status is not None and t.verdict != ACCEPTED else "")
                for t in trials
                if t.verdict != ACCEPTED
            ]
            text = ", ".join(taken) if taken else "none"
            lines.append(f"  {attribute:24} takes {text}")
            if others:
                lines.append(f"  {'':24} not: {', '.join(others)}")
        if self.custom_formats:
            formats = ", ".join(f"CUSTOM\\{k} ({v} boxes)" for k, v in self.custom_formats.items())
            lines.append(f"  {'custom formats':24} {formats}")
        lines.append("")
        lines.append("Supports")
        labels = {
            "color": "colour",
            "bits12": "12-bit images",
            "presentation_lut": "Presentation LUT on the film box",
            "presentation_lut_in_session": "Presentation LUT on the film session",
            "annotation": "annotation boxes",
            "print_job": "Print Job",
            "printer_configuration": "Printer Configuration Retrieval",
            "printer_status": "Printer N-GET",
            "plut_blocks_images": "image boxes only without the P-LUT class",
        }
        for key, label in labels.items():
            if key in self.supports:
                value = self.supports[key]
                shown = "unknown" if value is None else ("yes" if value else "no")
                if key == "annotation" and self.annotation_boxes is not None and value:
                    shown += f" ({self.annotation_boxes} per film)"
                lines.append(f"  {label:36} {shown}")
        lines.append("")
        lines.append("Quirks" + ("" if self.quirks else ": none seen"))
        lines.extend(f"  - {q}" for q in self.quirks)
        if self.events:
            lines.append("N-EVENT-REPORTs it sent on its own:")
            lines.extend(f"  - {e}" for e in self.events)
        if self.notes:
            lines.append("Notes")
            lines.extend(f"  - {n}" for n in self.notes)
        lines.append("")
        left = (
            "nothing left behind"
            if not self.left_behind
            else "LEFT BEHIND: " + ", ".join(self.left_behind)
        )
        lines.append(
            f"{len(self.operations)} DIMSE requests on {self.associations} association(s) in "
            f"{self.elapsed:.1f} s (slowest answer {self.slowest_answer:.2f} s); no film "
            f"printed; {left}"
        )
        return "\n".join(lines)

"""Fault injection: what can go wrong on an association, and on which association.

A fault is written ``KIND[:key=value,key=value...]`` on the command line
(``--fault 'status:op=N-SET,class=image-box,code=C605,comment=out of memory'``) or as a
``[[faults]]`` table in TOML. Commas inside a value are fine as long as what follows
does not look like ``key=``.

Every fault may be limited to some associations: ``assoc=1,3-5`` (numbers in the order
the printer accepted them, from 1), ``calling_ae=MODALITY`` and ``p=0.25`` (chance per
association, drawn from one ``random.Random(seed)``, so a seed replays the same run).
The kinds, and what the SCU sees:

=========== ========================================================================
reject      A-ASSOCIATE-RJ with ``result`` (1 permanent, 2 transient), ``source``
            (1 service user, 2 ACSE, 3 presentation) and ``reason`` (PS3.8 9.3.4)
contexts    refuse some presentation contexts: ``refuse=color,annotation`` or
            ``only=grayscale,printer``; ``result`` 1, 2 or 3 (default 3, abstract
            syntax not supported)
abort       A-ABORT instead of answering the ``after``-th request (default 1);
            ``source`` 0 (service user) or 2 (service provider), ``reason`` 0-6
drop        answer the ``after``-th request with half a P-DATA-TF, then close TCP
stall       never answer matching requests (``op``, ``class``, ``after``)
delay       answer matching requests ``seconds`` late
status      answer matching requests with ``code`` (hex), ``comment`` (Error
            Comment) and ``element`` (Offending Element, ``gggg,eeee``); ``nth``
            limits it to the n-th matching request. A failure code skips the
            operation; a warning or success performs it and changes the status.
printer     the Printer reports ``status`` (WARNING or FAILURE) with ``info``
            (Printer Status Info); under FAILURE print jobs fail
event       send a Printer N-EVENT-REPORT (``type`` NORMAL, WARNING or FAILURE,
            ``info``) ``at`` ``start``, ``before:OP``, ``after:OP`` or ``message:N``
bad_event   send a Printer N-EVENT-REPORT whose Affected SOP Instance UID is not a
            UID (``1.2.840.10008.5.1.1.x7``), ``at`` as for ``event``
max_pdu     announce a maximum PDU length of ``size`` bytes
slow_read   read from the socket at ``rate`` bytes per second
=========== ========================================================================

``op`` is N-CREATE, N-SET, N-GET, N-ACTION, N-DELETE or C-ECHO; ``class`` one of
:data:`CLASS_ALIASES` or a UID.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dimse import uids
from hcs.errors import ConfigError
from hcs.job import terms

OPERATIONS = ("N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-DELETE", "C-ECHO")

CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "film-session": (uids.BASIC_FILM_SESSION,),
    "film-box": (uids.BASIC_FILM_BOX,),
    "image-box": (uids.BASIC_GRAYSCALE_IMAGE_BOX, uids.BASIC_COLOR_IMAGE_BOX),
    "grayscale-image-box": (uids.BASIC_GRAYSCALE_IMAGE_BOX,),
    "color-image-box": (uids.BASIC_COLOR_IMAGE_BOX,),
    "annotation": (uids.BASIC_ANNOTATION_BOX,),
    "presentation-lut": (uids.PRESENTATION_LUT,),
    "printer": (uids.PRINTER,),
    "print-job": (uids.PRINT_JOB,),
    "printer-configuration": (uids.PRINTER_CONFIGURATION_RETRIEVAL,),
    "verification": (uids.VERIFICATION,),
}

ABSTRACT_SYNTAX_ALIASES: dict[str, str] = terms.SOP_CLASSES

# Which reasons PS3.8 Table 9-21 allows for each A-ASSOCIATE-RJ source.
REJECT_REASONS = {1: (1, 2, 3, 7), 2: (1, 2), 3: (1, 2)}

_SELECTION_KEYS = ("assoc", "p", "calling_ae")
_KEYS: dict[str, tuple[str, ...]] = {
    "reject": ("result", "source", "reason"),
    "contexts": ("refuse", "only", "result"),
    "abort": ("after", "source", "reason"),
    "drop": ("after",),
    "stall": ("op", "class", "after"),
    "delay": ("op", "class", "after", "seconds"),
    "status": ("op", "class", "code", "comment", "element", "nth"),
    "printer": ("status", "info"),
    "event": ("type", "info", "at"),
    "bad_event": ("at",),
    "max_pdu": ("size",),
    "slow_read": ("rate",),
}
FAULT_KINDS = tuple(_KEYS)


class FaultSpecError(ConfigError):
    """A fault specification is wrong; the message says which part."""


@dataclass(frozen=True)
class FaultSpec:
    """One fault, parsed and validated. ``params`` holds typed values."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    associations: frozenset[int] | None = None
    probability: float = 1.0
    calling_ae: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text or self.kind


# ----------------------------------------------------------------------------- parsing

_SPLIT = re.compile(r",(?=\s*[a-z_]+\s*=)")


def parse_fault(text: str) -> FaultSpec:
    """Parse ``KIND[:key=value,...]`` (the ``--fault`` syntax)."""
    kind, _, rest = text.strip().partition(":")
    values: dict[str, Any] = {}
    if rest.strip():
        for part in _SPLIT.split(rest):
            key, eq, value = part.partition("=")
            if not eq:
                raise FaultSpecError(f"fault {text!r}: {part!r} is not key=value")
            values[key.strip()] = value.strip()
    return _build(kind.strip(), values, f"fault {text!r}", text.strip())


def parse_fault_table(tables: Any) -> list[FaultSpec]:
    """Parse TOML ``[[faults]]`` tables (each has ``kind`` and the same keys)."""
    if not isinstance(tables, list):
        raise FaultSpecError("faults: must be an array of tables ([[faults]])")
    specs = []
    for index, table in enumerate(tables):
        where = f"faults[{index}]"
        if not isinstance(table, dict) or "kind" not in table:
            raise FaultSpecError(f"{where}: each fault needs a kind")
        table = dict(table)
        kind = table.pop("kind")
        text = kind + ":" + ",".join(f"{k}={v}" for k, v in table.items())
        specs.append(_build(str(kind), table, where, text))
    return specs


def _build(kind: str, values: dict[str, Any], where: str, text: str) -> FaultSpec:
    if kind not in _KEYS:
        raise FaultSpecError(f"{where}: unknown fault kind {kind!r} (known: {', '.join(_KEYS)})")
    allowed = _KEYS[kind] + _SELECTION_KEYS
    for key in values:
        if key not in allowed:
            raise FaultSpecError(f"{where}: {kind} has no key {key!r} (keys: {', '.join(allowed)})")
    values = dict(values)
    associations = _associations(values.pop("assoc", None), where)
    probability = _number(values.pop("p", 1.0), f"{where}: p", 0.0, 1.0)
    calling_ae = values.pop("calling_ae", None)
    params = _PARSERS[kind](values, where)
    return FaultSpec(kind, params, associations, probability, calling_ae, text)


def _associations(value: Any, where: str) -> frozenset[int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return frozenset([value])
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    numbers: set[int] = set()
    for part in str(value).split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise FaultSpecError(f"{where}: assoc {value!r} must be numbers like 1,3-5") from None
        if first < 1 or last < first:
            raise FaultSpecError(f"{where}: assoc range {part!r} is empty or below 1")
        numbers.update(range(first, last + 1))
    return frozenset(numbers)


def _number(value: Any, where: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultSpecError(f"{where}: {value!r} is not a number") from None
    if not low <= number <= high:
        raise FaultSpecError(f"{where}: {number:g} is not between {low:g} and {high:g}")
    return number


def _int(value: Any, where: str, low: int, high: int, base: int = 10) -> int:
    try:
        number = value if isinstance(value, int) else int(str(value), base)
    except ValueError:
        raise FaultSpecError(f"{where}: {value!r} is not an integer") from None
    if isinstance(number, bool) or not low <= number <= high:
        raise FaultSpecError(f"{where}: {number} is not between {low} and {high}")
    return number


def _operation(value: Any, where: str) -> str | None:
    if value is None:
        return None
    op = str(value).upper().replace("_", "-")
    if not op.startswith(("N-", "C-")):
        op = "N-" + op
    if op not in OPERATIONS:
        raise FaultSpecError(f"{where}: op {value!r} is not one of {', '.join(OPERATIONS)}")
    return op


def _classes(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    text = str(value).strip()
    if text in CLASS_ALIASES:
        return CLASS_ALIASES[text]
    if re.fullmatch(r"[0-9.]+", text):
        return (text,)
    raise FaultSpecError(
        f"{where}: class {value!r} is not a UID or one of {', '.join(CLASS_ALIASES)}"
    )


def _parse_reject(v: dict, where: str) -> dict:
    result = _int(v.get("result", 1), f"{where}: result", 1, 2)
    source = _int(v.get("source", 1), f"{where}: source", 1, 3)
    reason = _int(v.get("reason", 1), f"{where}: reason", 0, 255)
    if reason not in REJECT_REASONS[source]:
        raise FaultSpecError(
            f"{where}: reason {reason} is not defined for source {source}"
            f" (PS3.8 Table 9-21 allows {REJECT_REASONS[source]})"
        )
    return {"result": result, "source": source, "reason": reason}


def _syntax_list(value: Any, where: str) -> frozenset[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    out = set()
    for item in items:
        name = str(item).strip()
        if name in ABSTRACT_SYNTAX_ALIASES:
            out.add(ABSTRACT_SYNTAX_ALIASES[name])
        elif re.fullmatch(r"[0-9.]+", name):
            out.add(name)
        else:
            raise FaultSpecError(
                f"{where}: {name!r} is not a UID or one of {', '.join(ABSTRACT_SYNTAX_ALIASES)}"
            )
    return frozenset(out)


def _parse_contexts(v: dict, where: str) -> dict:
    if ("refuse" in v) == ("only" in v):
        raise FaultSpecError(f"{where}: contexts needs exactly one of refuse= or only=")
    params: dict[str, Any] = {"result": _int(v.get("result", 3), f"{where}: result", 1, 3)}
    if "refuse" in v:
        params["refuse"] = _syntax_list(v["refuse"], f"{where}: refuse")
    else:
        params["only"] = _syntax_list(v["only"], f"{where}: only")
    return params


def _parse_abort(v: dict, where: str) -> dict:
    source = _int(v.get("source", 0), f"{where}: source", 0, 2)
    if source == 1:
        raise FaultSpecError(f"{where}: source 1 is reserved; use 0 (user) or 2 (provider)")
    reason = _int(v.get("reason", 0), f"{where}: reason", 0, 6)
    if source == 0 and reason:
        raise FaultSpecError(f"{where}: a service-user abort has reason 0")
    return {
        "after": _int(v.get("after", 1), f"{where}: after", 1, 1 << 30),
        "source": source,
        "reason": reason,
    }


def _parse_drop(v: dict, where: str) -> dict:
    return {"after": _int(v.get("after", 1), f"{where}: after", 1, 1 << 30)}


def _parse_match(v: dict, where: str) -> dict:
    after = v.get("after")
    return {
        "op": _operation(v.get("op"), f"{where}: op"),
        "classes": _classes(v.get("class"), f"{where}: class"),
        "after": None if after is None else _int(after, f"{where}: after", 1, 1 << 30),
    }


def _parse_delay(v: dict, where: str) -> dict:
    params = _parse_match(v, where)
    params["seconds"] = _number(v.get("seconds", 1.0), f"{where}: seconds", 0.0, 3600.0)
    return params


def _parse_status(v: dict, where: str) -> dict:
    if "code" not in v:
        raise FaultSpecError(f"{where}: status needs code= (hex, e.g. C605)")
    code_text = str(v["code"]).lower().removeprefix("0x")
    params = _parse_match(v, where)
    params["code"] = _int(code_text, f"{where}: code", 0, 0xFFFF, 16)
    params["comment"] = str(v["comment"])[:64] if "comment" in v else None
    params["element"] = _tag(v["element"], f"{where}: element") if "element" in v else None
    params["nth"] = _int(v.get("nth", 0), f"{where}: nth", 0, 1 << 30)
    return params


def _tag(value: Any, where: str) -> int:
    text = str(value).strip().strip("()").replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[0-9A-Fa-f]{8}", text):
        raise FaultSpecError(f"{where}: {value!r} is not a tag like 2010,0010")
    return int(text, 16)


def _parse_printer(v: dict, where: str) -> dict:
    status = str(v.get("status", "FAILURE")).upper()
    if status not in ("NORMAL", "WARNING", "FAILURE"):
        raise FaultSpecError(f"{where}: status {status!r} is not NORMAL, WARNING or FAILURE")
    return {"status": status, "info": _status_info(v.get("info", status), where)}


def _status_info(value: Any, where: str) -> str:
    """Printer/Execution Status Info is a CS: at most 16 characters (PS3.3 C.13.9.1)."""
    text = str(value).strip()
    if not 0 < len(text) <= 16 or "\\" in text:
        raise FaultSpecError(f"{where}: info {text!r} must be 1 to 16 characters (a CS)")
    return text


def _parse_event(v: dict, where: str) -> dict:
    kind = str(v.get("type", "WARNING")).upper()
    if kind not in ("NORMAL", "WARNING", "FAILURE"):
        raise FaultSpecError(f"{where}: type {kind!r} is not NORMAL, WARNING or FAILURE")
    return {"type": kind, "info": _status_info(v.get("info", kind), where), "at": _moment(v, where)}


def _parse_bad_event(v: dict, where: str) -> dict:
    return {"type": "WARNING", "info": "WARNING", "at": _moment(v, where), "malformed": True}


def _moment(v: dict, where: str) -> tuple:
    at = str(v.get("at", "start"))
    moment, _, arg = at.partition(":")
    if moment == "start" and not arg:
        when: tuple = ("start", None)
    elif moment in ("before", "after"):
        when = (moment, _operation(arg, f"{where}: at"))
    elif moment == "message":
        when = ("message", _int(arg, f"{where}: at", 1, 1 << 30))
    else:
        raise FaultSpecError(f"{where}: at {at!r} is not start, before:OP, after:OP or message:N")
    return when


def _parse_max_pdu(v: dict, where: str) -> dict:
    return {"size": _int(v.get("size", 256), f"{where}: size", 32, 0xFFFFFFFF)}


def _parse_slow_read(v: dict, where: str) -> dict:
    return {"rate": _number(v.get("rate", 65536), f"{where}: rate", 64, 1 << 40)}


_PARSERS = {
    "reject": _parse_reject,
    "contexts": _parse_contexts,
    "abort": _parse_abort,
    "drop": _parse_drop,
    "stall": _parse_match,
    "delay": _parse_delay,
    "status": _parse_status,
    "printer": _parse_printer,
    "event": _parse_event,
    "bad_event": _parse_bad_event,
    "max_pdu": _parse_max_pdu,
    "slow_read": _parse_slow_read,
}


# --------------------------------------------------------------------------- selection


class FaultPicker:
    """Decides which faults apply to each new association, reproducibly for a seed."""

    def __init__(self, specs: Iterable[FaultSpec], seed: int | None = None):
        self.specs = list(specs)
        self._random = random.Random(seed)

    def pick(self, number: int, calling_ae: str) -> FaultPlan:
        chosen = []
        for spec in self.specs:
            draw = self._random.random()  # always draw: the sequence depends on nothing else
            if spec.associations is not None and number not in spec.associations:
                continue
            if spec.calling_ae is not None and spec.calling_ae.strip() != calling_ae.strip():
                continue
            if draw < spec.probability or spec.probability >= 1.0:
                chosen.append(spec)
        return FaultPlan(chosen)


@dataclass
class Action:
    """What to do with one request instead of (or besides) answering it normally."""

    kind: str = "answer"  # answer, abort, drop, stall
    delay: float = 0.0
    status: FaultSpec | None = None
    abort_source: int = 0
    abort_reason: int = 0


class FaultPlan:
    """The faults chosen for one association, and the questions the server asks them."""

    def __init__(self, specs: list[FaultSpec]):
        self.specs = specs
        self._matches: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self.specs)

    def describe(self) -> list[str]:
        return [str(s) for s in self.specs]

    def _of(self, kind: str) -> list[FaultSpec]:
        return [s for s in self.specs if s.kind == kind]

    def reject(self) -> tuple[int, int, int] | None:
        for spec in self._of("reject"):
            return spec.params["result"], spec.params["source"], spec.params["reason"]
        return None

    def context_result(self, abstract_syntax: str) -> int | None:
        """The rejection result for a proposed context, or ``None`` to decide normally."""
        for spec in self._of("contexts"):
            p = spec.params
            if "refuse" in p and abstract_syntax in p["refuse"]:
                return p["result"]
            if "only" in p and abstract_syntax not in p["only"]:
                return p["result"]
        return None

    def max_pdu(self) -> int | None:
        sizes = [s.params["size"] for s in self._of("max_pdu")]
        return min(sizes) if sizes else None

    def read_rate(self) -> float | None:
        rates = [s.params["rate"] for s in self._of("slow_read")]
        return min(rates) if rates else None

    def printer_status(self) -> tuple[str, str] | None:
        for spec in self._of("printer"):
            return spec.params["status"], spec.params["info"]
        return None

    def events(self, moment: str, arg: Any = None) -> list[tuple[str, str]]:
        """Printer events (type, info) to send at ``moment`` (start, before, after, message)."""
        return [
            (spec.params["type"], spec.params["info"])
            for spec in self._of("event")
            if _at(spec, moment, arg)
        ]

    def bad_events(self, moment: str, arg: Any = None) -> int:
        """How many malformed Printer events to send at ``moment``."""
        return sum(1 for spec in self._of("bad_event") if _at(spec, moment, arg))

    def action(self, number: int, op: str, sop_class: str | None) -> Action:
        """What to do with the ``number``-th request of the association (from 1)."""
        action = Action()
        for spec in self.specs:
            p = spec.params
            if spec.kind == "abort" and number == p["after"]:
                return Action("abort", abort_source=p["source"], abort_reason=p["reason"])
            if spec.kind == "drop" and number == p["after"]:
                return Action("drop")
            if spec.kind in ("stall", "delay", "status") and _matches(p, number, op, sop_class):
                if spec.kind == "stall":
                    return Action("stall")
                if spec.kind == "delay":
                    action.delay = max(action.delay, p["seconds"])
                elif action.status is None:
                    seen = self._matches.get(id(spec), 0) + 1
                    self._matches[id(spec)] = seen
                    if p["nth"] in (0, seen):
                        action.status = spec
        return action


def _at(spec: FaultSpec, moment: str, arg: Any) -> bool:
    when, what = spec.params["at"]
    return when == moment and (what is None or what == arg)


def _matches(p: dict, number: int, op: str, sop_class: str | None) -> bool:
    if p.get("after") is not None and number < p["after"]:
        return False
    if p.get("op") is not None and p["op"] != op:
        return False
    return p.get("classes") is None or sop_class in p["classes"]

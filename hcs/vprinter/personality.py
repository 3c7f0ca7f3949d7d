"""Printer personalities: the virtual printer behaving on the wire like a kind of real printer.

A personality is a named bundle of behaviour that a real printer, or a family of them,
has shown in public reports (REFERENCE.md 1.3 and 1.4, docs/vprinter.md lists each with
its source). ``hcs vprinter --personality NAME`` (repeatable, or comma-separated) and
``personalities = [...]`` in the TOML turn them on; they combine.

Each personality is made of up to three parts, so the rest of the printer stays as it is:

* configuration changes (``grayscale-only`` refuses the colour meta SOP class,
  ``strict-attributes`` answers 0x0107/0x0116 for optional attributes outside its list),
  applied by :func:`apply_to_config` when the configuration is built;
* fault specifications (:mod:`hcs.vprinter.faults`) for what the fault injector already
  does (``tiny-pdu`` announces 4096 bytes, ``slow`` delays every N-SET, ``unsolicited-events``
  sends Printer N-EVENT-REPORTs unasked, ``no-printer-nget`` refuses N-GET Printer), from
  :func:`fault_texts`;
* request/response behaviour in :class:`Behaviour`, which the server calls around the
  session for every request: which transfer syntax data sets are read in
  (``explicit-misread``), rewriting answers (``meta-class-refs``, ``pre-cp173``) and
  ending the association instead of answering (``abort-on-error``, and the drops the
  misreading printers do).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCategory, StatusCode, status_category
from hcs.errors import ConfigError

if TYPE_CHECKING:
    from hcs.vprinter.config import VirtualPrinterConfig

DEFAULT_DELAY = 2.0  # seconds per N-SET of the ``slow`` personality
TINY_PDU = 4096

# The optional attributes a strict printer knows; anything else optional gets 0x0107.
STRICT_KNOWN = (
    "NumberOfCopies",
    "MediumType",
    "FilmDestination",
    "FilmOrientation",
    "FilmSizeID",
    "MagnificationType",
    "Polarity",
    "AnnotationPosition",
    "TextString",
    "PresentationLUTShape",
    "ReferencedPresentationLUTSequence",
)
META_CLASSES = frozenset(
    {uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, uids.BASIC_COLOR_PRINT_MANAGEMENT_META}
)
_PLUT_TAG = 0x20500500  # Referenced Presentation LUT Sequence (2050,0500)


@dataclass(frozen=True)
class Personality:
    """One personality: what it does and the public report it reproduces."""

    name: str
    does: str
    source: str


PERSONALITIES: dict[str, Personality] = {
    p.name: p
    for p in (
        Personality(
            "explicit-misread",
            "accepts Explicit VR Little Endian, then reads every data set as Implicit VR;"
            " a data set it cannot make sense of ends in a TCP close (no release, no abort)",
            "DCMTK's ImplicitOnly printer key, 'very old DICOM software which claims to"
            " support Explicit VR ... but fails' (dcmpstat.cfg); issue 11's printer",
        ),
        Personality(
            "meta-class-refs",
            "lists its image boxes in the Film Box N-CREATE response with the meta SOP class"
            " UID as Referenced SOP Class UID; an N-SET on a meta SOP class closes TCP",
            "issue 11's printer; dcmjs-dimse#64 (meta SOP class contexts mishandled)",
        ),
        Personality(
            "abort-on-error",
            "never answers with a failure status: where it would, it sends A-ABORT",
            "fo-dicom-samples#30 (Agfa NX aborts), fo-dicom#1819 (DryView),"
            " fo-dicom#1222 (PACS waits forever)",
        ),
        Personality(
            "no-printer-nget",
            "refuses N-GET on the Printer SOP instance (0x0211 unrecognized operation)",
            "pynetdicom#777 ('the N-GET check always fails', Drystar 5302, CharruaSoft)",
        ),
        Personality(
            "pre-cp173",
            "takes the Presentation LUT reference on the Film Session only (before"
            " CP-173 moved it to the Film Box); on a Film Box it is 0x0105 no such attribute",
            "DCMTK's PresentationLUTinFilmSession printer key (dcmpstat.cfg, printers.cfg)",
        ),
        Personality(
            "grayscale-only",
            "refuses the Basic Color Print Management meta SOP class",
            "fo-dicom#1849 (Bunny/DTK SCP rejects colour, accepts grayscale)",
        ),
        Personality(
            "tiny-pdu",
            f"announces a maximum PDU length of {TINY_PDU} bytes and aborts on a larger one",
            "DCMTK's MaxPDU key ('between 4096 and 131072'); fo-dicom#1213 (Agfa DS4500),"
            " dicom-rs#712 (PDU size direction)",
        ),
        Personality(
            "unsolicited-events",
            "sends Printer N-EVENT-REPORTs nobody asked for: at the start, while the SCU"
            " waits for N-CREATE and N-SET answers, and after every N-ACTION",
            "pynetdicom docs (print.rst: events on the same association), fo-dicom Print"
            " SCP sample (PrintService.cs), fo-dicom#1222",
        ),
        Personality(
            "strict-attributes",
            "answers 0x0107 (attribute list error) for every optional attribute outside a"
            " short list and 0x0116 for a value it does not take, ignoring them",
            "fo-dicom-samples#82 (Fuji DRYPIX 4000 'Attribute list error'); DCMTK's"
            " SupportsImageSize / SupportsDecimateCrop / SupportsTrim keys",
        ),
        Personality(
            "no-create-uid",
            "answers N-CREATE without the Affected SOP Instance UID (optional in the"
            " response when the SCU chose the UID, which it then uses)",
            "fo-dicom#852 (N-CREATE responses some SCUs cannot use), fo-dicom#1222 and"
            " fo-dicom-samples#4 (SCUs choosing the instance UID)",
        ),
        Personality(
            "slow",
            f"takes seconds over every N-SET (personality_delay, default {DEFAULT_DELAY:g} s)",
            "fo-dicom#1222 and pynetdicom#777 (printers that keep the SCU waiting);"
            " real film printers spool large image boxes",
        ),
    )
}
NAMES = tuple(PERSONALITIES)


class PersonalityError(ConfigError):
    """An unknown personality name; the message lists the known ones."""


def parse_names(values: Any, where: str = "personalities") -> list[str]:
    """Names from a list or comma-separated strings, each checked, in order, once."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise PersonalityError(f"{where}: must be a list of personality names")
    names: list[str] = []
    for value in values:
        for name in str(value).split(","):
            name = name.strip()
            if not name:
                continue
            if name not in PERSONALITIES:
                raise PersonalityError(
                    f"{where}: unknown personality {name!r} (known: {', '.join(NAMES)})"
                )
            if name not in names:
                names.append(name)
    return names


def apply_to_config(config: VirtualPrinterConfig) -> None:
    """The configuration part of the chosen personalities (before validation)."""
    chosen = set(config.personalities)
    if "grayscale-only" in chosen:
        config.classes["color"] = False
    if "strict-attributes" in chosen:
        from hcs.vprinter.rules import ALL_KEYWORDS, FILM_BOX_CREATE, FILM_SESSION

        mandatory = {
            r.keyword for t in (FILM_SESSION, FILM_BOX_CREATE) for r in t if r.usage == "M/M"
        }
        optional = sorted(ALL_KEYWORDS - set(STRICT_KNOWN) - mandatory - _PIXEL_AND_POSITION)
        config.film.unsupported_attributes = sorted(
            set(config.film.unsupported_attributes) | set(optional)
        )
        config.film.unsupported = "warn"
        config.film.invalid_value = "warn"


_PIXEL_AND_POSITION = frozenset(
    {
        "ImageBoxPosition",
        "BasicGrayscaleImageSequence",
        "BasicColorImageSequence",
        "PresentationLUTSequence",
    }
)


def fault_texts(config: VirtualPrinterConfig) -> list[str]:
    """The fault-injector part of the chosen personalities (``--fault`` syntax)."""
    chosen = set(config.personalities)
    texts = []
    if "tiny-pdu" in chosen:
        texts.append(f"max_pdu:size={TINY_PDU}")
    if "slow" in chosen:
        texts.append(f"delay:op=N-SET,seconds={config.personality_delay:g}")
    if "no-printer-nget" in chosen:
        texts.append("status:op=N-GET,class=printer,code=0211,comment=N-GET not supported")
    if "unsolicited-events" in chosen:
        texts += [
            "event:type=WARNING,info=FILM SUPPLY LOW,at=start",
            "event:type=NORMAL,info=NORMAL,at=before:N-CREATE",
            "event:type=WARNING,info=RECEIVER FULL,at=before:N-SET",
            "event:type=NORMAL,info=NORMAL,at=after:N-ACTION",
        ]
    return texts


@dataclass
class Ending:
    """End the association instead of answering: ``abort`` (A-ABORT) or ``close`` (TCP)."""

    how: str
    why: str


@dataclass
class Before:
    """What to do with a request before the session sees it."""

    request: m.Message
    ending: Ending | None = None
    refusal: tuple[int, str, int] | None = None  # status, Error Comment, Offending Element


class Behaviour:
    """The request/response part of the chosen personalities, for one printer.

    The server asks :meth:`reading_syntax` which transfer syntax to read a data set in,
    :meth:`before` whether to change a request (or refuse it) before the session sees it,
    and :meth:`after` whether to change the answer or end the association instead.
    """

    def __init__(self, names: list[str] | tuple[str, ...] = ()):
        self.names = frozenset(names)
        self.session_plut: dict[int, Any] = {}  # association -> Film Session's P-LUT ref

    def __bool__(self) -> bool:
        return bool(self.names)

    def reading_syntax(self, transfer_syntax: str) -> str:
        """``explicit-misread`` reads everything as implicit VR, whatever it accepted."""
        if "explicit-misread" in self.names:
            return uids.IMPLICIT_VR_LITTLE_ENDIAN
        return transfer_syntax

    def misreads(self, transfer_syntax: str | None) -> bool:
        """Whether a data set on this context is read in the wrong transfer syntax."""
        return (
            "explicit-misread" in self.names and transfer_syntax == uids.EXPLICIT_VR_LITTLE_ENDIAN
        )

    def before(self, association: int, request: m.Message) -> Before:
        """The request as the session should see it, or an ending or refusal instead."""
        sop_class = getattr(request, "requested_sop_class_uid", None) or getattr(
            request, "affected_sop_class_uid", None
        )
        if "meta-class-refs" in self.names and sop_class in META_CLASSES:
            return Before(request, Ending("close", f"{request.NAME} on the meta SOP class"))
        if "pre-cp173" in self.names:
            return self._pre_cp173(association, request, sop_class)
        return Before(request)

    def _pre_cp173(self, association: int, request: m.Message, sop_class: str | None) -> Before:
        from pydicom.dataset import Dataset  # here: hcs echo imports this module, not pydicom

        dataset = getattr(request, "dataset", None)
        if not isinstance(dataset, Dataset) or not isinstance(request, m.NCreateRQ):
            return Before(request)
        if sop_class == uids.BASIC_FILM_SESSION and _PLUT_TAG in dataset:
            copy = Dataset(dataset)  # a shallow copy: the record keeps what came in
            self.session_plut[association] = copy[_PLUT_TAG].value
            del copy[_PLUT_TAG]
            return Before(dataclasses.replace(request, dataset=copy))
        if sop_class == uids.BASIC_FILM_BOX:
            if _PLUT_TAG in dataset:
                return Before(
                    request,
                    refusal=(
                        StatusCode.NO_SUCH_ATTRIBUTE,
                        "Presentation LUT only on the Film Session (pre-CP-173)",
                        _PLUT_TAG,
                    ),
                )
            reference = self.session_plut.get(association)
            if reference is not None:
                copy = Dataset(dataset)
                copy.ReferencedPresentationLUTSequence = reference
                return Before(dataclasses.replace(request, dataset=copy))
        return Before(request)

    def after(
        self, request: m.Message, response: m.Message | None, misread: bool
    ) -> tuple[m.Message | None, Ending | None]:
        """The answer to send, or an ending instead of it. ``misread``: the request's
        data set was read in a transfer syntax it was not written in."""
        if response is None:
            return None, None
        failed = status_category(response.status) in (
            StatusCategory.FAILURE,
            StatusCategory.CANCEL,
        )
        if failed and misread:
            return None, Ending("close", f"{request.NAME}: a data set it could not read")
        if failed and "abort-on-error" in self.names:
            return None, Ending("abort", f"{request.NAME}: failure 0x{response.status:04X}")
        if "meta-class-refs" in self.names and isinstance(response, m.NCreateRSP):
            _meta_class_refs(response)
        if "no-create-uid" in self.names and isinstance(response, m.NCreateRSP):
            response = dataclasses.replace(response, affected_sop_instance_uid=None)
        return response, None

    def forget(self, association: int) -> None:
        self.session_plut.pop(association, None)


def _meta_class_refs(response: m.NCreateRSP) -> None:
    """Put the meta SOP class UID where the image box classes belong (issue 11)."""
    from pydicom.dataset import Dataset

    dataset = response.dataset
    if not isinstance(dataset, Dataset) or "ReferencedImageBoxSequence" not in dataset:
        return
    color = any(
        item.ReferencedSOPClassUID == uids.BASIC_COLOR_IMAGE_BOX
        for item in dataset.ReferencedImageBoxSequence
    )
    meta = (
        uids.BASIC_COLOR_PRINT_MANAGEMENT_META
        if color
        else uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
    )
    for item in dataset.ReferencedImageBoxSequence:
        item.ReferencedSOPClassUID = meta

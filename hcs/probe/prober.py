"""The probe itself: what a printer takes, found out with the driver's own requests.

Phases, each on its own association:

1. Negotiation (:mod:`hcs.probe.negotiation`): every print SOP class once per transfer
   syntax, and the printer's maximum PDU.
2. The main association, opened by :class:`~hcs.driver.PrinterDriver` exactly as a job
   would open it (implicit VR when the printer accepts it): Printer N-GET, Printer
   Configuration Retrieval, a Presentation LUT, a Film Session, one plain film box whose
   N-CREATE response is checked for the known quirks, two Image Box N-SETs (8 and 12
   bits) and an Annotation Box N-SET on it, then one Film Box N-CREATE for each film
   size, display format, magnification type, orientation, density ..., each deleted at
   once, and one Film Session N-CREATE for each medium type, destination, priority ...
   Nothing is ever N-ACTIONed: no sheet is printed.
3. When the image boxes were refused with the Presentation LUT class negotiated, the
   image boxes again without it (DCMTK's PresentationLUTMatchRequired).
4. Colour: a film box and an RGB Image Box N-SET on the colour meta SOP class.
5. Explicit VR: the same Printer N-GET and Film Session N-CREATE on an explicit-only
   association, the answers read both ways, to see whether the printer really decodes
   what it accepted.

Every instance created is deleted (in reverse order, also when a step fails); when the
association ends under us the printer drops them itself (PS3.4 H.5). A printer that
aborts on one value counts as refusing it (and shows the "aborts instead of an error
status" quirk); the probe opens a new association and goes on, at most
``max_reconnects`` times. Each request has ``timeout`` seconds; the values are tried
only while the ``budget`` lasts, and the whole probe is cut at budget + a margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dimse import uids
from dimse.dataset import decode_dataset
from dimse.errors import DIMSEProtocolError
from dimse.messages import NCreateRQ, NGetRQ, NSetRQ, Response
from dimse.status import StatusCode, describe_status
from dul.net import AssociationFailed, NetworkError, TimeoutExpired, Timeouts
from hcs.driver import PrinterDriver
from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.driver.imagebox import image_box_dataset
from hcs.driver.profile import PrinterProfile, TLSSettings
from hcs.driver.session import (
    ANNOTATION_CONTEXT,
    COLOR_CONTEXT,
    CONFIGURATION_CONTEXT,
    GRAY_CONTEXT,
    PLUT_CONTEXT,
    FilmFailed,
    PrintAssociation,
)
from hcs.job import terms
from hcs.job.model import FilmBoxSpec, FilmSessionSpec, ImageBoxSpec, JobOutcome
from hcs.probe.negotiation import negotiate
from hcs.probe.report import (
    ABORTED,
    ACCEPTED,
    NO_ANSWER,
    NOT_TRIED,
    REFUSED,
    UNSUPPORTED,
    ProbeReport,
    Trial,
)
from hcs.scu import PRINTER_ATTRIBUTES

META_CLASSES = (uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, uids.BASIC_COLOR_PRINT_MANAGEMENT_META)
PROBE_LABEL = "HCS PROBE"

# Film Box values tried one N-CREATE each (STANDARD\1,1 for the others), most useful first.
DISPLAY_FORMATS = (
    "STANDARD\\1,1",
    "STANDARD\\1,2",
    "STANDARD\\2,1",
    "STANDARD\\2,2",
    "STANDARD\\2,3",
    "STANDARD\\3,2",
    "STANDARD\\3,3",
    "STANDARD\\3,4",
    "STANDARD\\3,5",
    "STANDARD\\4,4",
    "STANDARD\\4,5",
    "STANDARD\\5,4",
    "STANDARD\\5,5",
    "ROW\\1,2",
    "ROW\\2,1",
    "COL\\1,2",
    "COL\\2,1",
    "SLIDE",
    "SUPERSLIDE",
    "CUSTOM\\1",
    "CUSTOM\\2",
)
# The most common size first: the trials stop when the time budget runs out.
FILM_SIZES = ("14INX17IN", *(size for size in terms.FILM_SIZE_IDS if size != "14INX17IN"))
# (FilmBoxSpec field, DICOM keyword, values)
FILM_BOX_TRIALS: tuple[tuple[str, str, tuple], ...] = (
    ("film_size_id", "FilmSizeID", FILM_SIZES),
    ("image_display_format", "ImageDisplayFormat", DISPLAY_FORMATS),
    ("film_orientation", "FilmOrientation", terms.FILM_ORIENTATIONS),
    ("magnification_type", "MagnificationType", terms.MAGNIFICATION_TYPES),
    ("border_density", "BorderDensity", ("BLACK", "WHITE", "150")),
    ("empty_image_density", "EmptyImageDensity", ("BLACK", "WHITE", "20")),
    ("min_density", "MinDensity", (20,)),
    ("max_density", "MaxDensity", (250,)),
    ("trim", "Trim", ("NO", "YES")),
    ("requested_resolution_id", "RequestedResolutionID", terms.RESOLUTION_IDS),
)
# (FilmSessionSpec field, DICOM keyword, values)
FILM_SESSION_TRIALS: tuple[tuple[str, str, tuple], ...] = (
    ("number_of_copies", "NumberOfCopies", (1,)),
    (
        "medium_type",
        "MediumType",
        ("BLUE FILM", "CLEAR FILM", "PAPER", "MAMMO CLEAR FILM", "MAMMO BLUE FILM"),
    ),
    ("film_destination", "FilmDestination", ("MAGAZINE", "PROCESSOR", "BIN_1")),
    ("print_priority", "PrintPriority", ("MED", "HIGH", "LOW")),
    ("film_session_label", "FilmSessionLabel", (PROBE_LABEL,)),
)


@dataclass(frozen=True)
class ProbeOptions:
    timeout: float = 10.0  # seconds per request (and to connect)
    budget: float = 60.0  # seconds for the whole probe; value trials stop when it is spent
    max_reconnects: int = 32  # new associations after the printer ended one (each costs time)


class _Stop(Exception):
    """The probe cannot go on; the message says why."""


def read_both_ways(dataset) -> dict[str, str]:
    """Decode a received data set as implicit and as explicit VR: "ok" or the error."""
    if dataset is None:
        return {}
    if not isinstance(dataset, bytes | bytearray | memoryview):
        dataset = b"".join(dataset)
    result = {}
    for name, syntax in (
        ("implicit", uids.IMPLICIT_VR_LITTLE_ENDIAN),
        ("explicit", uids.EXPLICIT_VR_LITTLE_ENDIAN),
    ):
        try:
            decode_dataset(dataset, syntax)
            result[name] = "ok"
        except DIMSEProtocolError as error:
            result[name] = str(error)
    return result


class Prober:
    """One probe of one printer; :meth:`run` fills and returns the report."""

    def __init__(self, profile: PrinterProfile, options: ProbeOptions | None = None):
        self.options = options or ProbeOptions()
        t = self.options.timeout
        self.base = replace(
            profile,
            timeouts=Timeouts(connect=t, association=t, artim=t, dimse=t, idle=3600),
            retries=0,
        )
        self.report = ProbeReport(
            profile.host, profile.port, profile.ae_title, profile.calling_ae_title
        )
        if profile.tls is not None:
            defaults = TLSSettings()
            self.report.tls = {
                f.name: getattr(profile.tls, f.name)
                for f in fields(TLSSettings)
                if getattr(profile.tls, f.name) != getattr(defaults, f.name)
            }
        self.outcome = JobOutcome(films=[])
        self.report.operations = self.outcome.operations
        self.driver: PrinterDriver | None = None
        self.association: PrintAssociation | None = None
        self.session_uid: str | None = None
        self.session_spec = FilmSessionSpec(number_of_copies=1)
        self.plut_uid: str | None = None
        self.created: list[tuple[str, int, str, str]] = []  # (what, context, class, uid)
        self.own_uids = False
        self.meta = GRAY_CONTEXT  # the meta SOP class context sessions are made on
        self.uid_retry = False
        self.lost = 0  # associations that ended under us
        self.deadline = 0.0
        self.budget_noted = False

    # ================================================================== the run
    async def run(self) -> ProbeReport:
        started = time.monotonic()
        self.deadline = started + self.options.budget
        hard = self.options.budget + 4 * self.options.timeout + 5
        report = self.report
        try:
            await asyncio.wait_for(self._phases(), hard)
            report.complete = True
        except _Stop as stop:
            report.stopped = str(stop)
        except TimeoutError:
            report.stopped = f"the probe took longer than {hard:g} s and was cut off"
            report.network_failure = True
        except AssociationFailed as error:
            report.stopped = f"the printer ended the probe: {error}"
            report.aborts += 1
        except NetworkError as error:
            report.stopped = f"network: {error}"
            report.network_failure = True
        finally:
            await self._cleanup()
            report.elapsed = time.monotonic() - started
        return report

    async def _phases(self) -> None:
        await negotiate(self.report, self.base)
        if not self.report.accepted("grayscale"):
            raise _Stop(
                "the printer accepts no Basic Grayscale Print Management Meta context: "
                "nothing more can be asked"
            )
        await self._main()
        await self._without_plut()
        await self._color()
        await self._explicit()

    # ============================================================ associations
    def _main_profile(self) -> PrinterProfile:
        r = self.report
        gray = r.accepted("grayscale")
        return replace(
            self.base,
            transfer_syntaxes=("implicit",) if "implicit" in gray else ("explicit",),
            presentation_lut=bool(r.accepted("presentation_lut")),
            annotation=bool(r.accepted("annotation")),
            print_job=bool(r.accepted("print_job")),
            printer_configuration=bool(r.accepted("printer_configuration")),
            color=False,
        )

    async def _association(self) -> PrintAssociation:
        """The open main association; a new one (and a new session, P-LUT) after a loss."""
        if self.association is not None and self.association.dimse.upper_layer.is_established:
            return self.association
        if self.association is not None:
            self._lost()
        if self.lost > self.options.max_reconnects:
            raise _Stop(
                f"the printer ended {self.lost} associations under the probe; stopped after "
                f"{self.report.associations}"
            )
        if self.driver is None:
            self.driver = PrinterDriver(self._main_profile())
        self.association = await self.driver._open(self.meta == COLOR_CONTEXT)
        self.report.associations += 1
        return self.association

    def _lost(self, ended: bool = True) -> None:
        """The association ended (under us, unless ``ended`` is false): what we created
        went with it (H.5)."""
        if ended and self.association is not None:
            self.lost += 1
        if self.created and ended:
            self.report.note(
                "an association ended while film sessions or boxes existed: the printer "
                "discards them with the association (PS3.4 H.5)"
            )
        self.created.clear()
        self.session_uid = None
        self.plut_uid = None
        self.association = None

    async def _drop_association(self) -> None:
        if self.driver is not None:
            await self.driver._drop(release=False)
        self._lost()

    async def _ready(self) -> tuple[PrintAssociation, str]:
        """The association with our Film Session on it."""
        association = await self._association()
        if self.session_uid is None:
            dataset = film_session_dataset(self.driver.profile, self.session_spec, None)
            try:
                uid, response = await self._create(
                    association, "Film Session", self.meta, uids.BASIC_FILM_SESSION, dataset
                )
            except FilmFailed as failure:
                if self.session_spec.number_of_copies is None:
                    raise _Stop(f"the printer refused our Film Session: {failure}") from None
                self.report.note(
                    f"a Film Session with Number of Copies 1 was refused ({failure}); "
                    "the probe went on without it"
                )
                self.session_spec = FilmSessionSpec(number_of_copies=None)
                return await self._ready()
            except (AssociationFailed, NetworkError) as error:
                self.report.aborts += 1
                self._lost()
                raise _Stop(
                    f"the printer ended the association when asked for a Film Session: {error}"
                ) from None
            if uid is None:
                if self.own_uids and not self.uid_retry:  # _create has just switched
                    self.uid_retry = True
                    await self._drop_association_politely()  # its unnamed session goes (H.5)
                    return await self._ready()
                raise _Stop("the printer did not say which Film Session it created")
            if response.status:
                self.report.note(
                    f"our plain Film Session was answered {describe_status(response.status)}"
                )
            self.session_uid = uid
        return association, self.session_uid

    # ================================================================ requests
    async def _create(
        self, association: PrintAssociation, what: str, context: int, sop_class: str, dataset
    ) -> tuple[str | None, Response]:
        """N-CREATE through the driver's request path; notes the response quirks."""
        chosen = generate_uid() if self.own_uids else None
        message = NCreateRQ(
            association.dimse.next_message_id(),
            sop_class,
            affected_sop_instance_uid=chosen,
            dataset=dataset,
        )
        response = await association._request(
            self.outcome, f"N-CREATE {what}", context, message, sop_class, chosen
        )
        uid = response.affected_sop_instance_uid or chosen
        if not response.affected_sop_class_uid:
            self.report.quirk(
                "N-CREATE responses without Affected SOP Class UID "
                "(DCMTK's OmitSOPClassUIDFromCreateResponse); hcs does not need it"
            )
        kind = what.split(" (")[0]  # "Film Session (explicit VR)" is a Film Session
        if response.dataset is None:
            self.report.quirk(f"N-CREATE {kind} response without a data set")
        if uid is None:
            self.report.quirk(
                f"N-CREATE {kind} response without Affected SOP Instance UID: the probe "
                "chose the instance UIDs itself from then on"
            )
            self.own_uids = True
            self.report.supports["assign_uids"] = True  # the driver must choose them too
            return None, response
        self.created.append((what, context, sop_class, uid))
        return uid, response

    async def _delete(self, uid: str) -> bool:
        """N-DELETE one instance we created; True when the printer took it."""
        index = next((i for i, item in enumerate(self.created) if item[3] == uid), None)
        if index is None:
            return True
        what, context, sop_class, _uid = self.created[index]
        association = self.association
        if association is None or not association.dimse.upper_layer.is_established:
            return False
        before = len(self.outcome.operations)
        await association._delete(self.outcome, f"N-DELETE {what}", context, sop_class, uid)
        del self.created[index]
        records = self.outcome.operations[before:]
        return bool(records) and records[-1].category in ("Success", "Warning")

    async def _get(
        self, association: PrintAssociation, what: str, context: int, sop_class: str, instance: str
    ) -> Response:
        message = NGetRQ(association.dimse.next_message_id(), sop_class, instance)
        return await association._request(
            self.outcome, f"N-GET {what}", context, message, sop_class, instance
        )

    def _decode(self, association: PrintAssociation, response: Response, context: int):
        try:
            return association._decode(response, context)
        except DIMSEProtocolError as error:
            self.report.note(f"an undecodable data set in a response: {error}")
            return None

    # ============================================================= one trial
    def _over_budget(self) -> bool:
        if time.monotonic() <= self.deadline:
            return False
        if not self.budget_noted:
            self.report.note(
                f"the time budget of {self.options.budget:g} s ran out: the values "
                "marked 'not tried' were not asked"
            )
            self.budget_noted = True
        return True

    async def _trial(
        self,
        operation: str,
        attribute: str,
        value,
        send: Callable[[], Awaitable[Response]],
    ) -> Trial:
        trial = Trial(operation, attribute, str(value), NOT_TRIED)
        self.report.trials.append(trial)
        if self._over_budget():
            return trial
        started = time.monotonic()
        try:
            response = await send()
            self.report.slowest_answer = max(self.report.slowest_answer, time.monotonic() - started)
        except FilmFailed as failure:
            record = failure.record
            trial.status, trial.detail = record.status, record.description
            trial.verdict = REFUSED
            if record.status == StatusCode.NO_SUCH_ATTRIBUTE:
                trial.verdict = UNSUPPORTED
        except TimeoutExpired as error:
            trial.verdict, trial.detail = NO_ANSWER, str(error)
            self.report.no_answer = True
            self.report.quirk(
                f"did not answer {operation} with {attribute} = {value} within "
                f"{self.options.timeout:g} s"
            )
            await self._drop_association()
        except (AssociationFailed, NetworkError) as error:
            trial.verdict, trial.detail = ABORTED, str(error)
            self.report.aborts += 1
            self.report.quirk(
                "ends the association instead of returning an error status "
                f"(first seen on {operation} with {attribute} = {value}); "
                "the profile keeps such values out of jobs"
            )
            self._lost()
        else:
            trial.status = response.status
            trial.verdict = ACCEPTED
            if response.status == StatusCode.ATTRIBUTE_LIST_ERROR:
                trial.verdict = UNSUPPORTED
            elif response.status == StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE:
                trial.verdict = REFUSED
            if response.status:
                trial.detail = describe_status(response.status)
        return trial

    # ============================================================ main phase
    async def _main(self) -> None:
        association = await self._association()
        await self._printer_nget(association)
        await self._printer_configuration()
        if self.report.accepted("presentation_lut"):
            await self._create_plut()
        await self._ready()
        await self._plain_film()
        if self.plut_uid is not None or self.report.accepted("presentation_lut"):
            await self._plut_on_film_box()
        for field_name, attribute, values in FILM_BOX_TRIALS:
            for value in values:
                await self._film_box_trial(field_name, attribute, value)
        await self._end_session()
        await self._session_trials()
        await self._end_plut()
        if self.report.supports.get("presentation_lut") is None:
            self.report.supports["presentation_lut"] = False
        if self.report.supports.get("presentation_lut_in_session") is None:
            self.report.supports["presentation_lut_in_session"] = False
        self.report.supports["print_job"] = bool(self.report.accepted("print_job"))
        if self.report.accepted("color") == [] and self.report.accepted("grayscale"):
            self.report.quirk("refuses Basic Color Print Management (grayscale only)")
        for name, label in (
            ("print_job", "Print Job"),
            ("annotation", "Basic Annotation Box"),
            ("presentation_lut", "Presentation LUT"),
        ):
            if not self.report.accepted(name):
                self.report.quirk(f"refuses the {label} SOP class")
        pdu = self.report.peer_max_pdu
        if pdu and pdu < 8192:
            self.report.quirk(f"a small maximum PDU ({pdu} bytes): hcs splits its messages to fit")
        if self.driver is not None:
            self.report.events += self.driver.state.events
            self.driver.state.events = []
        if self.report.events:
            self.report.quirk(
                f"sends N-EVENT-REPORTs on its own ({len(self.report.events)} during the "
                "probe); hcs answers them and goes on"
            )
        if self.driver is not None:
            await self.driver._drop(release=True)
            self.association = None

    async def _printer_nget(self, association: PrintAssociation) -> None:
        report = self.report
        try:
            response = await self._get(
                association, "Printer", GRAY_CONTEXT, uids.PRINTER, uids.PRINTER_INSTANCE
            )
        except FilmFailed as failure:
            report.printer_nget = f"refused: {failure}"
            report.supports["printer_status"] = False
            report.quirk(
                "refuses the Printer N-GET (" + describe_status(failure.record.status) + ")"
            )
            return
        except TimeoutExpired:
            report.printer_nget = "no answer"
            report.supports["printer_status"] = False
            report.quirk("does not answer the Printer N-GET")
            await self._drop_association()
            return
        except (AssociationFailed, NetworkError) as error:
            report.printer_nget = f"the printer ended the association: {error}"
            report.supports["printer_status"] = False
            report.quirk("ends the association on a Printer N-GET")
            report.aborts += 1
            self._lost()
            return
        report.printer_nget = "ok" if not response.status else describe_status(response.status)
        report.supports["printer_status"] = True
        dataset = self._decode(association, response, GRAY_CONTEXT)
        if dataset is None:
            report.quirk("Printer N-GET response without a data set")
            return
        for keyword, _label in PRINTER_ATTRIBUTES:
            value = dataset.get(keyword)
            if value is not None and value != "":
                report.printer[keyword] = _text(value)
        if report.printer.get("PrinterStatus") == "FAILURE":
            report.note("the printer reports FAILURE: jobs are held until it recovers")

    async def _printer_configuration(self) -> None:
        report = self.report
        if not report.accepted("printer_configuration"):
            report.supports["printer_configuration"] = False
            return
        association = await self._association()
        try:
            response = await self._get(
                association,
                "Printer Configuration",
                CONFIGURATION_CONTEXT,
                uids.PRINTER_CONFIGURATION_RETRIEVAL,
                uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
            )
        except FilmFailed as failure:
            report.supports["printer_configuration"] = False
            report.note(f"Printer Configuration Retrieval accepted but refused: {failure}")
            return
        except (AssociationFailed, NetworkError) as error:
            report.supports["printer_configuration"] = False
            report.quirk(f"ends the association on Printer Configuration Retrieval ({error})")
            report.aborts += 1
            self._lost()
            return
        report.supports["printer_configuration"] = True
        dataset = self._decode(association, response, CONFIGURATION_CONTEXT)
        report.configuration = _configuration_summary(dataset)

    async def _create_plut(self) -> None:
        association = await self._association()
        dataset = Dataset()
        dataset.PresentationLUTShape = "IDENTITY"
        result: dict[str, str | None] = {}

        async def send() -> Response:
            uid, response = await self._create(
                association, "Presentation LUT", PLUT_CONTEXT, uids.PRESENTATION_LUT, dataset
            )
            result["uid"] = uid
            return response

        trial = await self._trial(
            "N-CREATE Presentation LUT", "PresentationLUTShape", "IDENTITY", send
        )
        if trial.verdict == ACCEPTED:
            self.plut_uid = result.get("uid")
        else:
            self.report.supports["presentation_lut"] = False
            self.report.supports["presentation_lut_in_session"] = False

    async def _plain_film(self) -> None:
        """One STANDARD\\1,1 film box: its response, image box N-SETs, annotation."""
        report = self.report
        association, session = await self._ready()
        dataset = film_box_dataset(self.driver.profile, FilmBoxSpec("STANDARD\\1,1"), session)
        try:
            uid, response = await self._create(
                association, "Film Box", GRAY_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
        except FilmFailed as failure:
            raise _Stop(f"the printer refused a plain STANDARD\\1,1 Film Box: {failure}") from None
        answer = self._decode(association, response, GRAY_CONTEXT) or Dataset()
        boxes = list(answer.get("ReferencedImageBoxSequence", []))
        if not boxes:
            report.quirk("Film Box N-CREATE response without Referenced Image Box Sequence")
        elif len(boxes) != 1:
            report.quirk(f"makes {len(boxes)} image boxes for STANDARD\\1,1")
        for item in boxes[:1]:
            listed = str(item.get("ReferencedSOPClassUID", "") or "")
            if listed in META_CLASSES:
                report.quirk(
                    "lists the image boxes with the meta SOP class UID "
                    f"({listed}) in Referenced Image Box Sequence; hcs sends "
                    "Basic Grayscale Image Box (1.2.840.10008.5.1.1.4) instead"
                )
            elif not listed:
                report.quirk("Referenced Image Box Sequence without Referenced SOP Class UID")
            elif listed != uids.BASIC_GRAYSCALE_IMAGE_BOX:
                report.quirk(f"lists a grayscale film's image boxes as {listed}")
        annotations = list(answer.get("ReferencedBasicAnnotationBoxSequence", []))
        if boxes:
            box_uid = str(boxes[0].get("ReferencedSOPInstanceUID", "") or "")
            await self._image_box_trials(box_uid)
        if report.accepted("annotation"):
            if not annotations and self._alive():
                annotations = await self._annotation_film()
            report.annotation_boxes = len(annotations)
            await self._annotation_trial(annotations)
        else:
            report.supports["annotation"] = False
        if uid is not None and self._alive():
            await self._delete(uid)

    async def _without_plut(self) -> None:
        """DCMTK's printers with PresentationLUTMatchRequired refuse every Image Box while the
        Presentation LUT SOP class is negotiated and the film references no Presentation LUT:
        when the 8-bit N-SET was refused, try the image boxes once more on an association
        without that class."""
        report = self.report
        eight = [t for t in report.trials if t.attribute == "BitsStored" and t.value == "8"]
        if (
            not eight
            or eight[0].verdict != REFUSED
            or not report.accepted("presentation_lut")
            or self._over_budget()
        ):
            return
        self.driver = PrinterDriver(replace(self._main_profile(), presentation_lut=False))
        self.association, self.session_uid, self.plut_uid = None, None, None
        attribute = "BitsStored without Presentation LUT"
        try:
            association, session = await self._ready()
            spec = FilmBoxSpec("STANDARD\\1,1")
            dataset = film_box_dataset(self.driver.profile, spec, session)
            uid, response = await self._create(
                association, "Film Box", GRAY_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
            answer = self._decode(association, response, GRAY_CONTEXT) or Dataset()
            boxes = list(answer.get("ReferencedImageBoxSequence", []))
            if boxes:
                box_uid = str(boxes[0].get("ReferencedSOPInstanceUID", "") or "")
                await self._image_box_trials(box_uid, attribute)
            if uid is not None and self._alive():
                await self._delete(uid)
            await self._end_session()
        except FilmFailed as failure:
            report.note(f"without the Presentation LUT class: {failure}")
        except (AssociationFailed, NetworkError) as error:
            report.note(
                f"without the Presentation LUT class the printer ended the association: {error}"
            )
            self._lost()
        if self.driver is not None:
            await self.driver._drop(release=True)
        self.association = None
        if "8" in report.values(attribute):
            report.supports["plut_blocks_images"] = True
            report.quirks = [q for q in report.quirks if not q.startswith("refused an 8-bit")]
            report.quirk(
                "refuses Image Boxes while the Presentation LUT SOP class is negotiated and "
                "the film references none (DCMTK's PresentationLUTMatchRequired), takes them "
                "without that class: the profile says presentation_lut = false"
            )

    async def _color(self) -> None:
        """A colour film box and one RGB Image Box N-SET on the colour meta SOP class, when
        the printer accepted it: accepting the class is not yet printing in colour."""
        report = self.report
        if not report.accepted("color"):
            report.supports["color"] = False
            return
        trial = Trial("N-SET Color Image Box", "SamplesPerPixel", "3", NOT_TRIED)
        if self._over_budget():
            report.trials.append(trial)
            return
        self.driver = PrinterDriver(replace(self._main_profile(), color=True))
        self.association, self.session_uid, self.plut_uid = None, None, None
        self.meta = COLOR_CONTEXT
        try:
            association, session = await self._ready()
            spec = FilmBoxSpec("STANDARD\\1,1")
            dataset = film_box_dataset(self.driver.profile, spec, session)
            uid, response = await self._create(
                association, "Film Box (colour)", COLOR_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
            answer = self._decode(association, response, COLOR_CONTEXT) or Dataset()
            boxes = list(answer.get("ReferencedImageBoxSequence", []))
            if boxes:
                listed = str(boxes[0].get("ReferencedSOPClassUID", "") or "")
                if listed not in (uids.BASIC_COLOR_IMAGE_BOX, *META_CLASSES):
                    report.quirk(f"lists a colour film's image boxes as {listed or 'nothing'}")
                box_uid = str(boxes[0].get("ReferencedSOPInstanceUID", "") or "")
                pixels = np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8)
                syntax = association.dimse.contexts[COLOR_CONTEXT].transfer_syntax

                async def send() -> Response:
                    data = image_box_dataset(
                        ImageBoxSpec(pixels),
                        1,
                        color=True,
                        bits=8,
                        omit=frozenset(),
                        transfer_syntax=syntax,
                    )
                    message = NSetRQ(
                        association.dimse.next_message_id(),
                        uids.BASIC_COLOR_IMAGE_BOX,
                        box_uid,
                        data,
                    )
                    return await association._request(
                        self.outcome,
                        "N-SET Color Image Box",
                        COLOR_CONTEXT,
                        message,
                        uids.BASIC_COLOR_IMAGE_BOX,
                        box_uid,
                    )

                trial = await self._trial("N-SET Color Image Box", "SamplesPerPixel", 3, send)
            if uid is not None and self._alive():
                await self._delete(uid)
            await self._end_session()
        except FilmFailed as failure:
            trial.verdict, trial.status, trial.detail = REFUSED, failure.record.status, str(failure)
            report.trials.append(trial)
        except (AssociationFailed, NetworkError) as error:
            trial.verdict, trial.detail = ABORTED, str(error)
            report.trials.append(trial)
            self._lost()
        finally:
            self.meta = GRAY_CONTEXT
        if self.driver is not None:
            await self.driver._drop(release=True)
        self.association = None
        report.supports["color"] = None if trial.verdict == NOT_TRIED else trial.verdict == ACCEPTED
        if trial.verdict not in (ACCEPTED, NOT_TRIED):
            report.quirk(
                "accepts Basic Color Print Management but refused a colour film "
                f"({trial.detail}): the profile says color = false"
            )

    def _alive(self) -> bool:
        return self.association is not None and self.association.dimse.upper_layer.is_established

    async def _image_box_trials(self, box_uid: str, attribute: str = "BitsStored") -> None:
        rng = np.random.default_rng(11)
        for bits in (8, 12):
            if not self._alive():
                self.report.supports.setdefault("bits12", None)
                return
            association = self.association
            if bits == 8:
                pixels = rng.integers(0, 256, (32, 32), dtype=np.uint8)
            else:
                pixels = rng.integers(0, 4096, (32, 32), dtype=np.uint16)
            syntax = association.dimse.contexts[GRAY_CONTEXT].transfer_syntax

            async def send(
                pixels=pixels, bits=bits, association=association, syntax=syntax
            ) -> Response:
                dataset = image_box_dataset(
                    ImageBoxSpec(pixels),
                    1,
                    color=False,
                    bits=bits,
                    omit=frozenset(),
                    transfer_syntax=syntax,
                )
                message = NSetRQ(
                    association.dimse.next_message_id(),
                    uids.BASIC_GRAYSCALE_IMAGE_BOX,
                    box_uid,
                    dataset,
                )
                return await association._request(
                    self.outcome,
                    f"N-SET Image Box ({bits}-bit)",
                    GRAY_CONTEXT,
                    message,
                    uids.BASIC_GRAYSCALE_IMAGE_BOX,
                    box_uid,
                )

            trial = await self._trial("N-SET Image Box", attribute, bits, send)
            key = "bits12" if attribute == "BitsStored" else "bits12_without_plut"
            if bits == 12:
                self.report.supports[key] = (
                    None if trial.verdict == NOT_TRIED else trial.verdict == ACCEPTED
                )
            elif trial.verdict != ACCEPTED and attribute == "BitsStored":
                self.report.quirk(f"refused an 8-bit Image Box N-SET ({trial.detail})")

    async def _annotation_film(self) -> list:
        """A second film box with Annotation Display Format ID 1, for a printer that
        makes annotation boxes only when asked."""
        association, session = await self._ready()
        spec = FilmBoxSpec("STANDARD\\1,1", annotation_display_format_id="1")
        dataset = film_box_dataset(self.driver.profile, spec, session)
        try:
            uid, response = await self._create(
                association, "Film Box", GRAY_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
        except FilmFailed:
            return []
        except (AssociationFailed, NetworkError):
            self._lost()
            return []
        answer = self._decode(association, response, GRAY_CONTEXT) or Dataset()
        annotations = list(answer.get("ReferencedBasicAnnotationBoxSequence", []))
        if annotations:
            self.report.note("annotation boxes come with Annotation Display Format ID 1")
        if uid is not None:
            # Kept until the plain film box is deleted; the session delete covers it too.
            await self._delete(uid)
        return annotations

    async def _annotation_trial(self, annotations: list) -> None:
        if not annotations or not self._alive():
            self.report.supports["annotation"] = False if not annotations else None
            if not annotations:
                self.report.note("the printer made no annotation boxes for our film boxes")
            return
        association = self.association
        uid = str(annotations[0].get("ReferencedSOPInstanceUID", "") or "")

        async def send() -> Response:
            dataset = Dataset()
            dataset.AnnotationPosition = 1
            dataset.TextString = PROBE_LABEL
            message = NSetRQ(
                association.dimse.next_message_id(), uids.BASIC_ANNOTATION_BOX, uid, dataset
            )
            return await association._request(
                self.outcome,
                "N-SET Annotation Box 1",
                ANNOTATION_CONTEXT,
                message,
                uids.BASIC_ANNOTATION_BOX,
                uid,
            )

        trial = await self._trial("N-SET Annotation Box", "TextString", PROBE_LABEL, send)
        self.report.supports["annotation"] = (
            None if trial.verdict == NOT_TRIED else trial.verdict == ACCEPTED
        )

    async def _plut_on_film_box(self) -> None:
        if self.plut_uid is None:
            await self._create_plut()
            if self.plut_uid is None:
                return

        async def send() -> Response:
            association, session = await self._ready()
            if self.plut_uid is None:
                await self._create_plut()
            profile = replace(self.driver.profile, presentation_lut_in_session=False)
            dataset = film_box_dataset(
                profile, FilmBoxSpec("STANDARD\\1,1"), session, self.plut_uid
            )
            uid, response = await self._create(
                association, "Film Box", GRAY_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
            if uid is not None:
                await self._delete(uid)
            return response

        trial = await self._trial(
            "N-CREATE Film Box", "ReferencedPresentationLUTSequence", "on the film box", send
        )
        self.report.supports["presentation_lut"] = (
            None if trial.verdict == NOT_TRIED else trial.verdict == ACCEPTED
        )

    async def _film_box_trial(self, field_name: str, attribute: str, value) -> None:
        custom = attribute == "ImageDisplayFormat" and str(value).startswith("CUSTOM\\")
        number = int(str(value).split("\\")[1]) if custom else 0
        boxes: dict[str, int] = {}

        async def send() -> Response:
            association, session = await self._ready()
            profile = self.driver.profile
            if custom:  # the box count is the printer's: read it from the response
                profile = replace(profile, custom_formats={number: 1})
            spec = FilmBoxSpec(**{"image_display_format": "STANDARD\\1,1", field_name: value})
            dataset = film_box_dataset(profile, spec, session)
            uid, response = await self._create(
                association, "Film Box", GRAY_CONTEXT, uids.BASIC_FILM_BOX, dataset
            )
            answer = self._decode(association, response, GRAY_CONTEXT)
            if answer is not None:
                boxes["count"] = len(answer.get("ReferencedImageBoxSequence", []))
                echoed = answer.get(attribute)
                if echoed is not None and str(echoed) != str(value) and response.status == 0:
                    self.report.note(f"{attribute} {value} was answered with {echoed}")
            if uid is not None:
                await self._delete(uid)
            return response

        trial = await self._trial("N-CREATE Film Box", attribute, value, send)
        if custom and trial.verdict == ACCEPTED and boxes.get("count"):
            self.report.custom_formats[number] = boxes["count"]

    async def _end_session(self) -> None:
        if self.session_uid is not None and self._alive():
            for what, _context, _class, uid in list(reversed(self.created)):
                if what == "Film Box":
                    await self._delete(uid)
            if not await self._delete(self.session_uid):
                self.report.note("the printer refused to delete our Film Session")
        self.session_uid = None

    async def _session_trials(self) -> None:
        report = self.report
        if self._over_budget():
            for _field, attribute, values in FILM_SESSION_TRIALS:
                for value in values:
                    report.trials.append(
                        Trial("N-CREATE Film Session", attribute, str(value), NOT_TRIED)
                    )
            return
        # Can a second Film Session be made on one association once the first is gone?
        association = await self._association()
        try:
            dataset = film_session_dataset(self.driver.profile, self.session_spec, None)
            uid, _ = await self._create(
                association, "Film Session", GRAY_CONTEXT, uids.BASIC_FILM_SESSION, dataset
            )
            if uid is not None:
                await self._delete(uid)
            reuse = True
        except FilmFailed:
            reuse = False
            report.note(
                "the printer takes one Film Session per association: each Film Session "
                "value is tried on a new association"
            )
        except (AssociationFailed, NetworkError):
            self._lost()
            reuse = False

        async def one(field_name: str, value, plut: bool = False) -> Response:
            if not reuse:
                await self._drop_association_politely()
            association = await self._association()
            plut_uid = None
            profile = self.driver.profile
            if plut:
                if self.plut_uid is None:
                    await self._create_plut()
                plut_uid = self.plut_uid
                profile = replace(profile, presentation_lut_in_session=True)
            spec = replace(self.session_spec, **({field_name: value} if field_name else {}))
            dataset = film_session_dataset(profile, spec, plut_uid)
            uid, response = await self._create(
                association, "Film Session", GRAY_CONTEXT, uids.BASIC_FILM_SESSION, dataset
            )
            if uid is not None:
                await self._delete(uid)
            return response

        for field_name, attribute, values in FILM_SESSION_TRIALS:
            for value in values:
                await self._trial(
                    "N-CREATE Film Session",
                    attribute,
                    value,
                    lambda f=field_name, v=value: one(f, v),
                )
        if report.accepted("presentation_lut"):
            trial = await self._trial(
                "N-CREATE Film Session",
                "ReferencedPresentationLUTSequence",
                "on the film session",
                lambda: one("", None, plut=True),
            )
            report.supports["presentation_lut_in_session"] = (
                None if trial.verdict == NOT_TRIED else trial.verdict == ACCEPTED
            )
            if trial.verdict == ACCEPTED and not report.supports.get("presentation_lut"):
                report.quirk(
                    "takes the Presentation LUT on the Film Session only (before CP-173): "
                    "profile presentation_lut_in_session = true"
                )

    async def _drop_association_politely(self) -> None:
        if self.driver is not None:
            await self._end_plut()
            await self.driver._drop(release=True)
        self._lost(ended=False)

    async def _end_plut(self) -> None:
        if self.plut_uid is not None and self._alive():
            await self._delete(self.plut_uid)
        self.plut_uid = None

    # =========================================================== explicit VR
    async def _explicit(self) -> None:
        report = self.report
        gray = report.accepted("grayscale")
        if "explicit" not in gray:
            report.explicit_vr = "not accepted"
            return
        if "implicit" not in gray:
            report.explicit_vr = "the only syntax it accepts"
            return
        if self._over_budget():
            report.explicit_vr = "not tested (time budget spent)"
            return
        profile = replace(
            self.base,
            transfer_syntaxes=("explicit",),
            presentation_lut=False,
            annotation=False,
            print_job=False,
            printer_configuration=False,
        )
        self.driver = PrinterDriver(profile)
        self.association = None
        findings: list[str] = []
        try:
            association = await self._association()
            if report.printer_nget == "ok":
                response = await self._get(
                    association,
                    "Printer (explicit VR)",
                    GRAY_CONTEXT,
                    uids.PRINTER,
                    uids.PRINTER_INSTANCE,
                )
                ways = read_both_ways(response.dataset)
                if ways and ways.get("explicit") != "ok" and ways.get("implicit") == "ok":
                    findings.append(
                        "its Printer N-GET response on the explicit context is implicit VR"
                    )
            dataset = film_session_dataset(profile, self.session_spec, None)
            uid, response = await self._create(
                association,
                "Film Session (explicit VR)",
                GRAY_CONTEXT,
                uids.BASIC_FILM_SESSION,
                dataset,
            )
            ways = read_both_ways(response.dataset)
            if ways and ways.get("explicit") != "ok":
                if ways.get("implicit") == "ok":
                    findings.append("its Film Session N-CREATE response is implicit VR")
                else:
                    findings.append("its Film Session N-CREATE response cannot be decoded")
            elif ways:
                answer = decode_dataset(_joined(response.dataset), uids.EXPLICIT_VR_LITTLE_ENDIAN)
                sent = self.session_spec.number_of_copies
                echoed = answer.get("NumberOfCopies")
                if sent is not None and echoed is not None and int(echoed) != sent:
                    findings.append(f"it read Number of Copies {sent} as {echoed}")
                label = answer.get("FilmSessionLabel")
                if (
                    label is not None
                    and str(label) not in ("", PROBE_LABEL)
                    and (self.session_spec.film_session_label == PROBE_LABEL)
                ):
                    findings.append(f"it read Film Session Label as {label!r}")
            if uid is not None:
                await self._delete(uid)
        except FilmFailed as failure:
            findings.append(
                f"it refused an explicit VR Film Session it takes in implicit VR ({failure})"
            )
        except TimeoutExpired:
            findings.append("it did not answer an explicit VR Film Session N-CREATE")
            await self._drop_association()
        except (AssociationFailed, NetworkError) as error:
            findings.append(f"it ended the association on an explicit VR data set ({error})")
            self._lost()
        if findings:
            report.explicit_vr = "misread: " + "; ".join(findings)
            report.quirk(
                "accepts Explicit VR Little Endian but does not read it "
                f"({'; '.join(findings)}): the profile proposes implicit VR only"
            )
        else:
            report.explicit_vr = "honoured"
        if self.driver is not None:
            await self.driver._drop(release=True)
        self.association = None

    # ================================================================ cleanup
    async def _cleanup(self) -> None:
        """Delete what is still ours, newest first, then release (or abort) and close."""
        if self.driver is None:
            return
        if self._alive():
            with contextlib.suppress(Exception):
                for _what, _context, _class, uid in list(reversed(self.created)):
                    if not await asyncio.wait_for(self._delete(uid), self.options.timeout + 1):
                        self.report.note(f"the printer refused to delete {uid}")
        if self.created and not self._alive():
            self._lost()
        elif self.created:
            self.report.left_behind += [f"{what} {uid}" for what, _c, _s, uid in self.created]
            self.report.note(
                "releasing the association: the printer discards what it holds (PS3.4 H.5)"
            )
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.driver.close(), self.options.timeout + 1)
        with contextlib.suppress(Exception):
            await self.driver._drop(release=False)
        if self.driver is not None:
            self.report.events += [
                e for e in self.driver.state.events if e not in self.report.events
            ]


def _joined(dataset) -> bytes:
    if isinstance(dataset, bytes | bytearray | memoryview):
        return bytes(dataset)
    return b"".join(dataset)


def _text(value) -> str:
    from hcs.scu import _text as text

    return text(value)


def _configuration_summary(dataset: Dataset | None) -> dict:
    """The first Printer Configuration Sequence item, its plain values as text."""
    if dataset is None:
        return {}
    items = list(dataset.get("PrinterConfigurationSequence", []))
    source = items[0] if items else dataset
    summary = {}
    for element in source:
        if element.VR == "SQ" or element.keyword in ("", "PixelData"):
            continue
        text = _text(element.value)
        summary[element.keyword] = text if len(text) <= 120 else text[:117] + "..."
    if len(items) > 1:
        summary["configurations"] = str(len(items))
    return summary


async def probe(profile: PrinterProfile, options: ProbeOptions | None = None) -> ProbeReport:
    """Probe one printer (its host, port and AE titles from ``profile``)."""
    return await Prober(profile, options).run()

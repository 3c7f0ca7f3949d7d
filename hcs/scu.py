"""One-shot SCU operations behind ``hcs echo`` and ``hcs status``.

Each opens an association, does one thing, releases, and returns plain values; the
command line turns them into text, JSON and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dimse import uids
from dimse.client import DimseConnection
from dimse.flat import UnsupportedCharacterSet, read_text
from dimse.messages import NGetRQ
from dimse.status import describe_status, status_category, status_meaning
from dul.items import PresentationContextRQ
from dul.net import Timeouts
from hcs.defaults import CALLING_AE_TITLE
from hcs.driver.connect import open_upper_layer
from hcs.driver.profile import PrinterProfile, TLSSettings

TRANSFER_SYNTAXES = (uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN)


@dataclass(frozen=True)
class Peer:
    """Where the SCP is and how to address it."""

    host: str
    port: int
    called_ae_title: str = "ANY-SCP"
    calling_ae_title: str = CALLING_AE_TITLE
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_pdu_length: int = 65536
    tls: TLSSettings | None = None

    def as_profile(self) -> PrinterProfile:
        """The same addressing as a printer profile, which is what associations open from."""
        return PrinterProfile(
            name=self.host,
            host=self.host,
            port=self.port,
            ae_title=self.called_ae_title,
            calling_ae_title=self.calling_ae_title,
            max_pdu=self.max_pdu_length,
            timeouts=self.timeouts,
            tls=self.tls,
        )


@dataclass(frozen=True)
class StatusResult:
    """A DIMSE status with its meaning."""

    code: int

    @property
    def category(self) -> str:
        return status_category(self.code).value

    @property
    def meaning(self) -> str:
        return status_meaning(self.code)

    @property
    def description(self) -> str:
        return describe_status(self.code)

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "hex": f"0x{self.code:04X}",
            "category": self.category,
            "meaning": self.meaning,
        }


async def _open(peer: Peer, contexts: list[PresentationContextRQ]) -> DimseConnection:
    return DimseConnection(await open_upper_layer(peer.as_profile(), contexts))


async def echo(peer: Peer) -> StatusResult:
    """C-ECHO (Verification SOP class) on a new association."""
    connection = await _open(peer, [PresentationContextRQ(1, uids.VERIFICATION, TRANSFER_SYNTAXES)])
    try:
        response = await connection.echo()
    except BaseException:
        connection.abort()
        await connection.close()
        raise
    await connection.release()
    return StatusResult(response.status)


# Printer N-GET attributes (PS3.4 Table H.4-17), with the labels we print.
PRINTER_ATTRIBUTES = (
    ("PrinterStatus", "Printer Status"),
    ("PrinterStatusInfo", "Printer Status Info"),
    ("PrinterName", "Printer Name"),
    ("Manufacturer", "Manufacturer"),
    ("ManufacturerModelName", "Manufacturer Model Name"),
    ("DeviceSerialNumber", "Device Serial Number"),
    ("SoftwareVersions", "Software Versions"),
    ("DateOfLastCalibration", "Date of Last Calibration"),
    ("TimeOfLastCalibration", "Time of Last Calibration"),
)
PRINTER_TAGS = {
    "PrinterStatus": 0x21100010,
    "PrinterStatusInfo": 0x21100020,
    "PrinterName": 0x21100030,
    "Manufacturer": 0x00080070,
    "ManufacturerModelName": 0x00081090,
    "DeviceSerialNumber": 0x00181000,
    "SoftwareVersions": 0x00181020,
    "DateOfLastCalibration": 0x00181200,
    "TimeOfLastCalibration": 0x00181201,
}
"""The tags of :data:`PRINTER_ATTRIBUTES` (PS3.6), read without pydicom's dictionary."""


def _text(value) -> str:
    """A data element value as one line; multiple values joined by a backslash."""
    from pydicom.multival import MultiValue  # loaded already: the N-GET data set was decoded

    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class PrinterStatus:
    status: StatusResult
    attributes: dict[str, str]
    error_comment: str | None = None


async def printer_status(peer: Peer) -> PrinterStatus:
    """N-GET of the Printer SOP instance under the Basic Grayscale Print Management Meta
    SOP class (PS3.4 H.4.6.2.2), all attributes."""
    context = PresentationContextRQ(
        1, uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, TRANSFER_SYNTAXES
    )
    connection = await _open(peer, [context])
    try:
        context_id = connection.context_for(uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META)
        response = await connection.request(
            context_id,
            NGetRQ(connection.next_message_id(), uids.PRINTER, uids.PRINTER_INSTANCE),
        )
        attributes = _printer_attributes(response, connection.contexts[context_id].transfer_syntax)
    except BaseException:
        connection.abort()
        await connection.close()
        raise
    await connection.release()
    return PrinterStatus(StatusResult(response.status), attributes, response.error_comment)


def _printer_attributes(response, transfer_syntax: str) -> dict[str, str]:
    """The answer's Printer attributes as text. Read straight from the bytes
    (:mod:`dimse.flat`), so ``hcs status`` starts without pydicom; a data set in a
    character set that reader does not decode goes through pydicom instead."""
    dataset = response.dataset
    if dataset is None:
        return {}
    if isinstance(dataset, list | tuple):
        dataset = b"".join(dataset)
    if isinstance(dataset, bytes | bytearray | memoryview):
        try:
            implicit = transfer_syntax == uids.IMPLICIT_VR_LITTLE_ENDIAN
            values = read_text(dataset, implicit, set(PRINTER_TAGS.values()))
        except UnsupportedCharacterSet:
            pass
        else:
            found = {keyword: values.get(tag, "") for keyword, tag in PRINTER_TAGS.items()}
            return {keyword: value for keyword, value in found.items() if value}
    decoded = response.decode_dataset(transfer_syntax)
    attributes = {}
    for keyword, _ in PRINTER_ATTRIBUTES:
        value = decoded.get(keyword)
        if value is not None and value != "":
            attributes[keyword] = _text(value)
    return attributes

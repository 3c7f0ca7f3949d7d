"""What an SCU may ask: N-GET of the Printer (H.4.6), of a Print Job (H.4.5) and of the
Printer Configuration (H.4.11), and C-ECHO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydicom.dataset import Dataset
from pydicom.tag import Tag

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from hcs.vprinter.configuration import printer_configuration
from hcs.vprinter.replies import Failure, Reply, as_dataset, respond

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def printer_get(session: PrintSession, context, request: m.NGetRQ) -> Reply:
    if request.requested_sop_instance_uid != uids.PRINTER_INSTANCE:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "the Printer is 1.2.840.10008.5.1.1.17")
    printer = session.config.printer
    status, info = session.printer_status
    attrs = {
        "PrinterStatus": status,
        "PrinterStatusInfo": info,
        "PrinterName": printer.name,
        "Manufacturer": printer.manufacturer,
        "ManufacturerModelName": printer.model,
        "DeviceSerialNumber": printer.serial_number,
        "SoftwareVersions": printer.software_versions,
        "DateOfLastCalibration": printer.calibration_date,
        "TimeOfLastCalibration": printer.calibration_time,
    }
    return _get_reply(session, request, attrs, uids.PRINTER_INSTANCE)


def _get_reply(
    session: PrintSession, request: m.NGetRQ, attrs: dict[str, Any], instance: str
) -> Reply:
    full = as_dataset(attrs)
    wanted = request.attribute_identifier_list
    if not wanted:
        return Reply(respond(request, StatusCode.SUCCESS, instance=instance, dataset=full))
    out, unknown = Dataset(), []
    for tag in wanted:
        if tag in full:
            out[tag] = full[tag]
        else:
            unknown.append(tag)
    if unknown:
        return Reply(
            respond(
                request,
                StatusCode.ATTRIBUTE_LIST_ERROR,
                instance=instance,
                dataset=out,
                comment="some requested attributes are not supported",
                tags=unknown,
            )
        )
    return Reply(respond(request, StatusCode.SUCCESS, instance=instance, dataset=out))


def print_job_get(session: PrintSession, context, request: m.NGetRQ) -> Reply:
    job = session.jobs.get(request.requested_sop_instance_uid)
    if job is None:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Print Job")
    attrs = {
        "ExecutionStatus": job.status,
        "ExecutionStatusInfo": job.info,
        "PrintPriority": job.priority,
        "CreationDate": job.created.strftime("%Y%m%d"),
        "CreationTime": job.created.strftime("%H%M%S"),
        "PrinterName": job.printer_name,
        "Originator": job.originator,
    }
    return _get_reply(session, request, attrs, job.uid)


def configuration_get(session: PrintSession, context, request: m.NGetRQ) -> Reply:
    if request.requested_sop_instance_uid != uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE:
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "the instance is 1.2.840.10008.5.1.1.17.376")
    dataset = Dataset()
    dataset.PrinterConfigurationSequence = [printer_configuration(session.config)]
    wanted = request.attribute_identifier_list
    if wanted and int(Tag("PrinterConfigurationSequence")) not in wanted:
        return _get_reply(session, request, {}, uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE)
    return Reply(
        respond(
            request,
            StatusCode.SUCCESS,
            instance=uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
            dataset=dataset,
        )
    )


def echo(session: PrintSession, context, request: m.CEchoRQ) -> Reply:
    return Reply(respond(request, StatusCode.SUCCESS))

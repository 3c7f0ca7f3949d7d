"""Which SOP classes and transfer syntaxes a printer accepts, each context on its own.

One association proposes every print SOP class once per transfer syntax (implicit and
explicit VR little endian as separate presentation contexts, PS3.8 allows the same
abstract syntax in several), so each (class, syntax) gets its own answer, and the
A-ASSOCIATE-AC tells the printer's maximum PDU length. A printer that rejects or
aborts so large a proposal is asked again with one association per class.
"""

from __future__ import annotations

import contextlib

from dimse import uids
from dul.items import PresentationContextRQ
from dul.net import (
    AssociationFailed,
    AssociationRejectedError,
    NetworkError,
    UpperLayerConnection,
)
from hcs.driver.connect import open_upper_layer
from hcs.driver.profile import PrinterProfile
from hcs.probe.report import ProbeReport

# (name in the report, SOP class UID), in the order a report lists them.
SOP_CLASSES = (
    ("verification", uids.VERIFICATION),
    ("grayscale", uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META),
    ("color", uids.BASIC_COLOR_PRINT_MANAGEMENT_META),
    ("presentation_lut", uids.PRESENTATION_LUT),
    ("annotation", uids.BASIC_ANNOTATION_BOX),
    ("print_job", uids.PRINT_JOB),
    ("printer_configuration", uids.PRINTER_CONFIGURATION_RETRIEVAL),
)
SYNTAXES = (
    ("implicit", uids.IMPLICIT_VR_LITTLE_ENDIAN),
    ("explicit", uids.EXPLICIT_VR_LITTLE_ENDIAN),
)


def _contexts(classes) -> tuple[list[PresentationContextRQ], dict[int, tuple[str, str]]]:
    contexts, names = [], {}
    context_id = 1
    for class_name, sop_class in classes:
        for syntax_name, syntax in SYNTAXES:
            contexts.append(PresentationContextRQ(context_id, sop_class, (syntax,)))
            names[context_id] = (class_name, syntax_name)
            context_id += 2
    return contexts, names


async def _ask(profile: PrinterProfile, classes) -> tuple[UpperLayerConnection, dict]:
    contexts, names = _contexts(classes)
    upper = await open_upper_layer(profile, contexts)
    return upper, names


def _record(report: ProbeReport, upper: UpperLayerConnection, names: dict) -> None:
    for context_id, (class_name, syntax_name) in names.items():
        context = upper.contexts.get(context_id)
        if context is None:
            result = "no answer"
        elif context.accepted:
            result = "ok"
        else:
            # "abstract-syntax-not-supported (provider rejection): ..." -> its first words
            result = context.description.split(": ", 1)[-1].split(" (", 1)[0] or "refused"
        report.negotiation.setdefault(class_name, {})[syntax_name] = result
    report.peer_max_pdu = upper.association.peer_max_pdu_length


async def _close(upper: UpperLayerConnection) -> None:
    with contextlib.suppress(Exception):
        if upper.is_established:
            await upper.release()
        else:
            await upper.close()


async def negotiate(report: ProbeReport, profile: PrinterProfile) -> None:
    """Fill ``report.negotiation`` and ``report.peer_max_pdu``.

    Raises the network error or the printer's refusal when it accepts nothing at all.
    """
    try:
        upper, names = await _ask(profile, SOP_CLASSES)
    except AssociationRejectedError as error:
        report.quirk(
            f"rejects an association that proposes every print SOP class ({error}); "
            "asked class by class"
        )
        first_error: Exception = error
    except AssociationFailed as error:
        report.quirk(
            f"ends an association that proposes every print SOP class ({error}); "
            "asked class by class"
        )
        first_error = error
    else:
        report.associations += 1
        report.negotiation_method = "one association, one context per class and syntax"
        _record(report, upper, names)
        await _close(upper)
        return
    report.negotiation_method = "one association per class"
    any_accepted = False
    for item in SOP_CLASSES:
        try:
            upper, names = await _ask(profile, [item])
        except (AssociationFailed, NetworkError) as error:
            report.negotiation[item[0]] = {
                name: f"association refused: {error}" for name, _ in SYNTAXES
            }
            continue
        report.associations += 1
        _record(report, upper, names)
        any_accepted = True
        await _close(upper)
    if not any_accepted:
        raise first_error

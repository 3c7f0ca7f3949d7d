"""The Basic Grayscale and Color Image Box SOP classes (PS3.4 H.4.3): N-SET.

Setting an image checks its pixel module, and decides what happens to an image
larger than its box (H.4.3.1.2.1.3, C.13.5): demagnify, decimate, crop, or fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.tag import Tag

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from hcs.vprinter import geometry, rules
from hcs.vprinter.handlers.presentation_lut import plut_reference
from hcs.vprinter.instances import FilmBox, ImageBox
from hcs.vprinter.replies import Failure, Reply, answer, fail_if_failed

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def _image_box(session: PrintSession, request: m.Message) -> tuple[FilmBox, ImageBox]:
    uid = request.requested_sop_instance_uid
    if session.film_session is not None:
        for film_box in session.film_session.film_boxes:
            for box in film_box.image_boxes:
                if box.uid == uid:
                    if box.sop_class != request.requested_sop_class_uid:
                        raise Failure(
                            StatusCode.CLASS_INSTANCE_CONFLICT,
                            f"this image box is a {uids.uid_name(box.sop_class)}",
                        )
                    return film_box, box
    raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Image Box")


def image_box_set(session: PrintSession, context, request: m.NSetRQ) -> Reply:
    film_box, box = _image_box(session, request)
    dataset = session.dataset(context, request)
    color = box.color
    table = rules.COLOR_IMAGE_BOX if color else rules.GRAYSCALE_IMAGE_BOX
    sequence_keyword = "BasicColorImageSequence" if color else "BasicGrayscaleImageSequence"
    unsupported = (
        frozenset() if session.has_plut else frozenset({"ReferencedPresentationLUTSequence"})
    )
    values, problems = rules.check_attributes(
        dataset, table, session.config, unsupported=unsupported
    )
    fail_if_failed(problems)
    position_tag = int(Tag("ImageBoxPosition"))
    if int(values["ImageBoxPosition"]) != box.position:
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE,
            f"this image box is at position {box.position}",
            [position_tag],
        )
    sequence = values.pop(sequence_keyword)
    sequence_tag = int(Tag(sequence_keyword))
    if len(sequence) == 0:  # zero length: erase the image (H.4.3.1.2.1)
        box.pixels, box.dataset, box.fit, box.warning = None, None, None, None
        box.attrs = {}
        return answer(request, problems, instance=box.uid)
    if len(sequence) != 1:
        raise Failure(StatusCode.INVALID_ATTRIBUTE_VALUE, "one image item expected", [sequence_tag])
    pixels, pixel_problems = rules.check_pixel_item(sequence[0], color, session.config)
    fail_if_failed(pixel_problems)
    lut_sequence = values.pop("ReferencedPresentationLUTSequence", None)
    if lut_sequence is not None:
        values["plut"] = plut_reference(session, lut_sequence)
    fit, warning = _fit(session, film_box, box, pixels, values, problems)
    box.pixels, box.attrs, box.fit, box.warning = pixels, values, fit, warning
    box.dataset = dataset if session.config.store_dicom else None
    return answer(request, problems, instance=box.uid, extra_warning=warning)


def _fit(
    session: PrintSession, film_box: FilmBox, box: ImageBox, pixels, values, problems
) -> tuple:
    """What happens to an image larger than its box (PS3.4 H.4.3.1.2.1.3, C.13.5)."""
    columns, rows = box.box.pixels(film_box.dpi)
    size = values.get("RequestedImageSize")
    if size is not None:
        wanted = float(size) / geometry.MM_PER_INCH * film_box.dpi
        if wanted > columns + 1e-6:
            values.pop("RequestedImageSize")
            code = (
                StatusCode.INVALID_ATTRIBUTE_VALUE
                if session.config.film.invalid_value == "fail"
                else StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE
            )
            text = f"Requested Image Size {float(size):g} mm is wider than the box"
            if code == StatusCode.INVALID_ATTRIBUTE_VALUE:
                raise Failure(code, text, [int(Tag("RequestedImageSize"))])
            problems.append(rules.Problem(code, int(Tag("RequestedImageSize")), text))
        else:
            columns = max(1, int(wanted))
    if pixels.columns <= columns and pixels.rows <= rows:
        return None, None
    requested = values.get("RequestedDecimateCropBehavior")
    behaviour = str(requested or session.config.film.oversize)
    magnification = str(values.get("MagnificationType", film_box.attrs["MagnificationType"]))
    text = f"image {pixels.columns}x{pixels.rows} larger than box {columns}x{rows}"
    if behaviour == "FAIL" or (requested == "DECIMATE" and magnification == "NONE"):
        raise Failure(StatusCode.IMAGE_LARGER_THAN_IMAGE_BOX, text)
    warning = {
        "DEMAGNIFY": StatusCode.IMAGE_DEMAGNIFIED,
        "DECIMATE": StatusCode.IMAGE_DECIMATED,
        "CROP": StatusCode.IMAGE_CROPPED,
    }[behaviour]
    return behaviour, warning

"""The Basic Film Box SOP class (PS3.4 H.4.2): N-CREATE, N-SET, N-ACTION, N-DELETE.

Creating a Film Box lays out its image boxes from the Image Display Format and creates
them (and the annotation boxes) with it; the image box class follows the meta SOP
class of the presentation context the Film Box was created on (H.4.2.2.1.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydicom.tag import Tag

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from hcs.vprinter import geometry, rules
from hcs.vprinter.classes import COLOR_META, PRINT_ACTION
from hcs.vprinter.handlers import printing
from hcs.vprinter.handlers.presentation_lut import plut_reference
from hcs.vprinter.instances import AnnotationBox, FilmBox, ImageBox
from hcs.vprinter.replies import (
    Failure,
    Reply,
    answer,
    as_dataset,
    fail_if_failed,
    reference,
    respond,
)

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def film_box_create(session: PrintSession, context, request: m.NCreateRQ) -> Reply:
    dataset = session.dataset(context, request)
    color = context.abstract_syntax == COLOR_META
    unsupported = set()
    if not session.has_plut:
        unsupported |= {
            "ReferencedPresentationLUTSequence",
            "Illumination",
            "ReflectedAmbientLight",
        }
    if not color:
        unsupported.add("ICCProfile")
    values, problems = rules.check_attributes(
        dataset, rules.FILM_BOX_CREATE, session.config, unsupported=frozenset(unsupported)
    )
    fail_if_failed(problems)
    film_session = session.film_session
    referenced = values.pop("ReferencedFilmSessionSequence")
    tag = int(Tag("ReferencedFilmSessionSequence"))
    if film_session is None:
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE, "no Film Session on this association", [tag]
        )
    if (
        len(referenced) != 1
        or referenced[0].get("ReferencedSOPClassUID") != uids.BASIC_FILM_SESSION
        or referenced[0].get("ReferencedSOPInstanceUID") != film_session.uid
    ):
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE, "Referenced Film Session is not ours", [tag]
        )
    if not session.config.film.session_print and any(
        not f.printed for f in film_session.film_boxes
    ):
        raise Failure(StatusCode.UNPRINTED_FILM_BOX_EXISTS, "print the existing film box first")
    film = session.config.film
    attrs: dict[str, Any] = {
        "ImageDisplayFormat": str(values["ImageDisplayFormat"]).strip(),
        "FilmOrientation": "PORTRAIT",
        "FilmSizeID": film.sizes[0],
        "MagnificationType": film.default_magnification,
        "SmoothingType": film.default_smoothing,
        "BorderDensity": film.border_density,
        "EmptyImageDensity": film.empty_image_density,
        "MinDensity": film.min_density,
        "MaxDensity": film.max_density,
        "Trim": "NO",
        "ConfigurationInformation": "",
        "RequestedResolutionID": film.resolutions[0],
    }
    if session.has_annotation:
        attrs["AnnotationDisplayFormatID"] = film.default_annotation_format
    if session.has_plut:
        attrs["Illumination"] = 2000
        attrs["ReflectedAmbientLight"] = 10
    plut = plut_reference(session, values.pop("ReferencedPresentationLUTSequence", None))
    values.pop("ICCProfile", None)
    attrs.update(values)
    display_format = geometry.parse_display_format(attrs["ImageDisplayFormat"])
    try:
        layout = geometry.layout(
            display_format,
            attrs["FilmSizeID"],
            attrs["FilmOrientation"],
            margin_mm=film.margin_mm,
            gap_mm=film.gap_mm,
            custom_formats=session.config.custom_formats,
        )
    except geometry.DisplayFormatError as error:
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE, str(error), [int(Tag("ImageDisplayFormat"))]
        ) from None
    if len(layout.boxes) > film.max_boxes:
        raise Failure(
            StatusCode.INVALID_ATTRIBUTE_VALUE,
            f"{len(layout.boxes)} image boxes, this printer takes {film.max_boxes}",
            [int(Tag("ImageDisplayFormat"))],
        )
    dpi = film.resolution_dpi * (2 if attrs["RequestedResolutionID"] == "HIGH" else 1)
    box_class = uids.BASIC_COLOR_IMAGE_BOX if color else uids.BASIC_GRAYSCALE_IMAGE_BOX
    uid = session.new_uid(request.affected_sop_instance_uid)
    image_boxes = [ImageBox(session.new_uid(None), box_class, b.position, b) for b in layout.boxes]
    annotations = []
    if session.has_annotation:
        count = film.annotation_formats[str(attrs["AnnotationDisplayFormatID"])]
        annotations = [AnnotationBox(session.new_uid(None), i + 1) for i in range(count)]
    film_box = FilmBox(uid, color, attrs, layout, dpi, image_boxes, annotations, plut)
    film_session.film_boxes.append(film_box)
    out = as_dataset(attrs)
    out.ReferencedFilmSessionSequence = [reference(uids.BASIC_FILM_SESSION, film_session.uid)]
    out.ReferencedImageBoxSequence = [reference(b.sop_class, b.uid) for b in image_boxes]
    if session.has_annotation:
        out.ReferencedBasicAnnotationBoxSequence = [
            reference(uids.BASIC_ANNOTATION_BOX, a.uid) for a in annotations
        ]
    if plut is not None:
        out.ReferencedPresentationLUTSequence = [reference(uids.PRESENTATION_LUT, plut.uid)]
    return answer(request, problems, instance=uid, dataset=out)


def _film_box(session: PrintSession, request: m.Message) -> FilmBox:
    uid = request.requested_sop_instance_uid
    if session.film_session is not None:
        for film_box in session.film_session.film_boxes:
            if film_box.uid == uid:
                return film_box
    raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Film Box")


def film_box_set(session: PrintSession, context, request: m.NSetRQ) -> Reply:
    film_box = _film_box(session, request)
    dataset = session.dataset(context, request)
    unsupported = set()
    if not session.has_plut:
        unsupported |= {
            "ReferencedPresentationLUTSequence",
            "Illumination",
            "ReflectedAmbientLight",
        }
    values, problems = rules.check_attributes(
        dataset, rules.FILM_BOX_SET, session.config, unsupported=frozenset(unsupported)
    )
    fail_if_failed(problems)
    if "ReferencedPresentationLUTSequence" in values:
        film_box.plut = plut_reference(session, values.pop("ReferencedPresentationLUTSequence"))
    film_box.attrs.update(values)
    return answer(request, problems, instance=film_box.uid, dataset=as_dataset(values))


def film_box_action(session: PrintSession, context, request: m.NActionRQ) -> Reply:
    film_box = _film_box(session, request)
    if request.action_type_id != PRINT_ACTION:
        raise Failure(StatusCode.NO_SUCH_ACTION_TYPE, f"action {request.action_type_id}")
    if not any(b.pixels is not None for b in film_box.image_boxes):
        warning = StatusCode.FILM_BOX_EMPTY_PAGE
    else:
        warning = printing.first_box_warning([film_box])
    order = printing.order(session, session.film_session, [film_box], "film box")
    return printing.action_reply(session, request, film_box.uid, order, warning)


def film_box_delete(session: PrintSession, context, request: m.NDeleteRQ) -> Reply:
    film_box = _film_box(session, request)
    session.film_session.film_boxes.remove(film_box)
    for uid in [film_box.uid, *(b.uid for b in film_box.image_boxes)]:
        session.release_uid(uid)
    return Reply(respond(request, StatusCode.SUCCESS, instance=film_box.uid))

"""The film as the printer lays it out: box positions, grey levels, magnification, crop.

These drive :class:`PrintSession` directly (no network): it is sans-I/O, so a film is
a few ``handle`` calls away, and the renderer draws what the N-ACTION froze.
"""

import numpy as np
import pytest
from pydicom.dataset import Dataset

from dimse import messages as m
from dimse import uids
from dul.negotiation import NegotiatedContext
from hcs.vprinter.render import density_to_gray, render_film
from hcs.vprinter.session import PrintSession
from tests.hcs.vprinter.helpers import (
    COLOR,
    EXPLICIT,
    GRAY,
    dataset_of,
    film_box_dataset,
    image_box_dataset,
    make_config,
    reference,
)

CONTEXTS = {
    1: NegotiatedContext(1, GRAY, EXPLICIT, 0),
    3: NegotiatedContext(3, COLOR, EXPLICIT, 0),
    5: NegotiatedContext(5, uids.PRESENTATION_LUT, EXPLICIT, 0),
    7: NegotiatedContext(7, uids.BASIC_ANNOTATION_BOX, EXPLICIT, 0),
}


class Film:
    """A session driven by hand: create, set, print, then render what was printed."""

    def __init__(self, display_format="STANDARD\\1,1", context=1, contexts=CONTEXTS, **film):
        config = make_config(film__resolution_dpi=100, film__margin_mm=8.0, film__gap_mm=2.0)
        self.session = PrintSession(config, contexts=contexts)
        self.context = context
        self.ids = iter(range(1, 1000))
        reply = self.session.handle(1, m.NCreateRQ(next(self.ids), uids.BASIC_FILM_SESSION))
        self.session_uid = reply.response.affected_sop_instance_uid
        film.setdefault("FilmSizeID", "8INX10IN")
        reply = self.handle(
            m.NCreateRQ(
                next(self.ids),
                uids.BASIC_FILM_BOX,
                dataset=film_box_dataset(self.session_uid, display_format, **film),
            )
        )
        assert reply.response.status == 0, hex(reply.response.status)
        self.uid = reply.response.affected_sop_instance_uid
        self.boxes = [
            (i.ReferencedSOPClassUID, i.ReferencedSOPInstanceUID)
            for i in reply.response.dataset.ReferencedImageBoxSequence
        ]
        self.annotations = [
            i.ReferencedSOPInstanceUID
            for i in reply.response.dataset.get("ReferencedBasicAnnotationBoxSequence", [])
        ]

    def handle(self, request, context=None):
        return self.session.handle(context or self.context, request)

    def set(self, position, pixels, **extra):
        sop_class, uid = self.boxes[position - 1]
        dataset = image_box_dataset(
            position, pixels, color=sop_class == uids.BASIC_COLOR_IMAGE_BOX, **extra
        )
        reply = self.handle(m.NSetRQ(next(self.ids), sop_class, uid, dataset))
        return reply.response.status

    def render(self):
        reply = self.handle(m.NActionRQ(next(self.ids), uids.BASIC_FILM_BOX, self.uid, 1))
        assert reply.order is not None
        film = reply.order.films[0]
        image, placed = render_film(film, 50)
        return np.asarray(image), {p.position: p for p in placed}


def centre(array, placed):
    x, y, w, h = placed.box_px
    return array[y + h // 2, x + w // 2]


def test_each_image_lands_in_its_box_row_major():
    film = Film("STANDARD\\2,2")
    for position, value in enumerate((30, 90, 150, 210), 1):
        assert film.set(position, np.full((20, 20), value, np.uint8)) == 0
    array, placed = film.render()
    assert array.shape == (500, 400)  # 8x10 inches at 50 dpi
    assert [int(centre(array, placed[p])) for p in (1, 2, 3, 4)] == [30, 90, 150, 210]
    assert placed[1].box_px[0] < placed[2].box_px[0] and placed[1].box_px[1] < placed[3].box_px[1]


def test_polarity_monochrome1_and_12_bit_values():
    film = Film("STANDARD\\3,1")
    film.set(1, np.full((8, 8), 40, np.uint8), Polarity="REVERSE")
    film.set(2, np.full((8, 8), 40, np.uint8), item={"PhotometricInterpretation": "MONOCHROME1"})
    film.set(3, np.full((8, 8), 4095, np.uint16))
    array, placed = film.render()
    assert [int(centre(array, placed[p])) for p in (1, 2, 3)] == [215, 215, 255]


def test_border_and_empty_image_densities():
    film = Film("STANDARD\\2,1", BorderDensity="WHITE", EmptyImageDensity="170")
    array, placed = film.render()
    assert array[0, 0] == 255
    assert int(centre(array, placed[1])) == density_to_gray("170", 20, 320) == 128
    assert density_to_gray("BLACK", 20, 320) == 0 and density_to_gray("20", 20, 320) == 255


def test_magnification_types_decide_the_printed_size():
    # 8x10 at 100 dpi, margin 8 mm: a 1x1 box is about 737 x 937 printer pixels
    sizes = {}
    for magnification in ("REPLICATE", "BILINEAR", "NONE"):
        film = Film(MagnificationType=magnification)
        film.set(1, np.full((100, 100), 99, np.uint8))
        _, placed = film.render()
        sizes[magnification] = placed[1].printer_size
    assert sizes["REPLICATE"] == (700, 700)  # a whole factor: 7
    assert sizes["BILINEAR"][0] == sizes["BILINEAR"][1] > 730  # fills the narrower side
    assert sizes["NONE"] == (100, 100)


def test_larger_images_are_cropped_or_demagnified_as_the_n_set_said():
    film = Film("STANDARD\\2,2", MagnificationType="BILINEAR")
    assert (
        film.set(1, np.zeros((900, 900), np.uint8), RequestedDecimateCropBehavior="CROP") == 0xB609
    )
    assert film.set(2, np.zeros((900, 900), np.uint8)) == 0xB604
    _, placed = film.render()
    assert placed[1].fit == "CROP" and placed[1].printer_size[0] < 900
    assert placed[2].fit == "DEMAGNIFY" and placed[2].printer_size[0] < 900


def test_requested_image_size_narrows_the_image():
    film = Film()
    film.set(1, np.full((10, 10), 1, np.uint8), RequestedImageSize=25.4)
    _, placed = film.render()
    assert placed[1].printer_size == (100, 100)  # one inch at 100 dpi


def test_colour_film_keeps_rgb():
    film = Film("STANDARD\\1,1", context=3)
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0], rgb[..., 2] = 200, 50
    assert film.set(1, rgb) == 0
    array, placed = film.render()
    assert array.shape == (500, 400, 3)
    assert tuple(int(v) for v in centre(array, placed[1])) == (200, 0, 50)


def test_an_explicit_presentation_lut_is_applied():
    session_film = Film()
    item = dataset_of(
        LUTDescriptor=[256, 0, 12],
        LUTData=(np.arange(255, -1, -1, dtype="<u2") * 16).tobytes(),
    )
    reply = session_film.handle(
        m.NCreateRQ(90, uids.PRESENTATION_LUT, dataset=dataset_of(PresentationLUTSequence=[item])),
        context=5,
    )
    assert reply.response.status == 0
    lut = reply.response.affected_sop_instance_uid
    session_film.set(
        1,
        np.full((8, 8), 10, np.uint8),
        ReferencedPresentationLUTSequence=[reference(uids.PRESENTATION_LUT, lut)],
    )
    array, placed = session_film.render()
    assert int(centre(array, placed[1])) == 245


def test_annotations_are_drawn_in_the_margin():
    film = Film(AnnotationDisplayFormatID="1")
    assert len(film.annotations) == 1
    reply = film.handle(
        m.NSetRQ(
            91,
            uids.BASIC_ANNOTATION_BOX,
            film.annotations[0],
            dataset_of(AnnotationPosition=1, TextString="HELLO FILM"),
        ),
        context=7,
    )
    assert reply.response.status == 0
    array, _placed = film.render()
    bottom = array[-15:, :]
    assert bottom.max() > 200  # white text on the black border
    assert array[:15, :].max() == 0


@pytest.mark.parametrize("display_format", ["ROW\\1,2", "COL\\1,3", "SLIDE", "CUSTOM\\2"])
def test_every_kind_of_format_renders(display_format):
    film = Film(display_format)
    for position in range(1, len(film.boxes) + 1):
        film.set(position, np.full((4, 4), position * 10 % 256, np.uint8))
    array, placed = film.render()
    assert [int(centre(array, placed[p])) for p in placed] == [p * 10 % 256 for p in placed]


def test_an_empty_dataset_sequence_erases_the_image():
    film = Film()
    film.set(1, np.full((4, 4), 200, np.uint8))
    sop_class, uid = film.boxes[0]
    dataset = Dataset()
    dataset.ImageBoxPosition = 1
    dataset.BasicGrayscaleImageSequence = []
    assert film.handle(m.NSetRQ(99, sop_class, uid, dataset)).response.status == 0
    reply = film.handle(m.NActionRQ(100, uids.BASIC_FILM_BOX, film.uid, 1))
    assert reply.response.status == 0xB603

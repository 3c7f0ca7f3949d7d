"""The virtual printer against PS3.4 Annex H: one test per rule it enforces.

Each test opens an association with our own DIMSE stack (the SCU side of the project)
and sends exactly the request the rule is about.
"""

import numpy as np
import pytest
from pydicom.dataset import Dataset

from dimse import uids
from dul.net import NoUsableContextError
from tests.hcs.vprinter.helpers import (
    COLOR,
    GRAY,
    IMPLICIT,
    Scu,
    dataset_of,
    film_box_dataset,
    gray,
    image_box_dataset,
    print_one,
    read_json,
    reference,
    run,
    running_printer,
    scu,
)

SESSION, FILM_BOX = uids.BASIC_FILM_SESSION, uids.BASIC_FILM_BOX
GRAY_BOX, COLOR_BOX = uids.BASIC_GRAYSCALE_IMAGE_BOX, uids.BASIC_COLOR_IMAGE_BOX
ALL = (
    "grayscale",
    "color",
    "presentation_lut",
    "annotation",
    "print_job",
    "printer",
    "printer_configuration",
    "verification",
)


def test_negotiates_every_print_class_in_both_little_endian_syntaxes():
    async def scenario():
        async with running_printer() as printer, scu(printer.port, ALL) as client:
            accepted = {c.abstract_syntax for c in client.contexts.values() if c.accepted}
            assert accepted == {
                GRAY,
                COLOR,
                uids.PRESENTATION_LUT,
                uids.BASIC_ANNOTATION_BOX,
                uids.PRINT_JOB,
                uids.PRINTER,
                uids.PRINTER_CONFIGURATION_RETRIEVAL,
                uids.VERIFICATION,
            }
            assert {c.transfer_syntax for c in client.contexts.values()} == {
                uids.EXPLICIT_VR_LITTLE_ENDIAN
            }
            response = await client.dimse.echo()
            assert response.status == 0
        async with running_printer(implicit_only=True) as printer:
            with pytest.raises(NoUsableContextError, match="transfer-syntaxes-not-supported"):
                await Scu.open(printer.port, transfer_syntaxes=(uids.EXPLICIT_VR_LITTLE_ENDIAN,))
            async with scu(printer.port) as client:
                assert client.contexts[1].transfer_syntax == IMPLICIT

    run(scenario())


def test_only_one_film_session_per_association():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            await client.film_session()
            response, _ = await client.n_create(SESSION)
            assert response.status == 0x0111
            assert response.error_comment

    run(scenario())


def test_film_session_defaults_values_and_the_returned_attribute_list():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            response, out = await client.n_create(
                SESSION,
                dataset_of(NumberOfCopies="2", PrintPriority="HIGH", FilmSessionLabel="CT 1"),
            )
            assert response.status == 0
            assert response.affected_sop_class_uid == SESSION
            assert response.affected_sop_instance_uid
            assert (out.NumberOfCopies, out.PrintPriority, out.MediumType) == (
                2,
                "HIGH",
                "BLUE FILM",
            )
            uid = response.affected_sop_instance_uid
            response, _ = await client.n_set(SESSION, uid, dataset_of(MediumType="PAPER"))
            assert (response.status, response.affected_sop_instance_uid) == (0, uid)
            response, _ = await client.n_delete(SESSION, uid)
            assert (response.status, response.affected_sop_instance_uid) == (0, uid)
            response, _ = await client.n_delete(SESSION, uid)
            assert response.status == 0x0112

    run(scenario())


def test_scu_chosen_instance_uids_are_checked():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            response, _ = await client.n_create(SESSION, instance="1.2.03.4")
            assert response.status == 0x0117
            response, _ = await client.n_create(SESSION, instance="1.2.826.0.1.3")
            assert (response.status, response.affected_sop_instance_uid) == (0, "1.2.826.0.1.3")
            response, _ = await client.n_create(
                FILM_BOX, film_box_dataset("1.2.826.0.1.3"), instance="1.2.826.0.1.3"
            )
            assert response.status == 0x0111

    run(scenario())


def test_missing_mandatory_attribute_is_0120_and_empty_is_0121():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            session = await client.film_session()
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(session, None))
            assert response.status == 0x0120
            assert response.attribute_identifier_list == (0x20100010,)
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(None))
            assert response.status == 0x0120
            assert response.attribute_identifier_list == (0x20100500,)
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(session, ""))
            assert response.status == 0x0121
            _, boxes, _, _ = await client.film_box(session)
            dataset = Dataset()
            dataset.BasicGrayscaleImageSequence = [Dataset()]
            response, _ = await client.n_set(GRAY_BOX, boxes[0][1], dataset)
            assert response.status == 0x0120 and 0x20200010 in response.offending_element

    run(scenario())


def test_values_outside_the_printers_lists_fail_with_0106_or_warn_with_0116():
    async def scenario():
        async with (
            running_printer(film__medium_types=["PAPER"]) as printer,
            scu(printer.port) as client,
        ):
            response, _ = await client.n_create(SESSION, dataset_of(MediumType="BLUE FILM"))
            assert response.status == 0x0106
            assert response.offending_element == (0x20000030,)
            response, _ = await client.n_create(SESSION, dataset_of(PrintPriority="MEDIUM"))
            assert response.status == 0x0106
            session = await client.film_session()
            response, _ = await client.n_create(
                FILM_BOX, film_box_dataset(session, "STANDARD\\2,2", FilmSizeID="A5")
            )
            assert response.status == 0x0106
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(session, "STANDARD\\2"))
            assert response.status == 0x0106  # M/M: always a failure
        async with (
            running_printer(film__invalid_value="warn") as printer,
            scu(printer.port) as client,
        ):
            response, out = await client.n_create(
                SESSION, dataset_of(MediumType="GOLD FOIL", NumberOfCopies="3")
            )
            assert response.status == 0x0116
            assert (out.MediumType, out.NumberOfCopies) == ("BLUE FILM", 3)  # the default is used
            session = response.affected_sop_instance_uid
            response, _ = await client.n_create(
                FILM_BOX, film_box_dataset(session, "STANDARD\\0,1")
            )
            assert response.status == 0x0106  # M/M values are never just a warning

    run(scenario())


def test_unsupported_optional_attributes_fail_with_0105_or_warn_with_0107():
    async def scenario():
        async with (
            running_printer(film__unsupported_attributes=["Trim"]) as printer,
            scu(printer.port) as client,
        ):
            session = await client.film_session()
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(session, Trim="YES"))
            assert response.status == 0x0105 and response.attribute_identifier_list == (0x20100140,)
            response, _ = await client.n_create(SESSION, dataset_of(PatientName="NOT^HERE"))
            assert response.status == 0x0111  # the session already exists: that rule comes first
        async with (
            running_printer(
                film__unsupported="warn", film__unsupported_attributes=["Trim"]
            ) as printer,
            scu(printer.port) as client,
        ):
            response, out = await client.n_create(SESSION, dataset_of(PatientName="NOT^HERE"))
            assert response.status == 0x0107
            assert response.attribute_identifier_list == (0x00100010,)
            assert "PatientName" not in out
            session = response.affected_sop_instance_uid
            response, out = await client.n_create(FILM_BOX, film_box_dataset(session, Trim="YES"))
            assert response.status == 0x0107 and out.Trim == "NO"
        async with running_printer() as printer, scu(printer.port) as client:
            response, _ = await client.n_create(SESSION, dataset_of(PatientName="NOT^HERE"))
            assert response.status == 0x0105

    run(scenario())


def test_presentation_lut_reference_needs_the_presentation_lut_class():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:  # grayscale only
            session = await client.film_session()
            dataset = film_box_dataset(session, Illumination=2000)
            response, _ = await client.n_create(FILM_BOX, dataset)
            assert response.status == 0x0105

    run(scenario())


def test_image_box_count_and_positions_come_from_the_display_format():
    formats = {
        "STANDARD\\3,2": 6,
        "ROW\\1,2,3": 6,
        "COL\\2,1": 3,
        "SLIDE": 12,
        "SUPERSLIDE": 12,
        "CUSTOM\\1": 3,
    }

    async def scenario():
        # An 8 mm margin and 2 mm gaps: 3 x 4 two-inch slide frames fit an 8x10 film.
        margins = {"film__margin_mm": 8.0, "film__gap_mm": 2.0}
        async with running_printer(**margins) as printer, scu(printer.port) as client:
            session = await client.film_session()
            for text, count in formats.items():
                _, boxes, _, _out = await client.film_box(session, text, FilmSizeID="8INX10IN")
                assert len(boxes) == count, text
                assert {c for c, _ in boxes} == {GRAY_BOX}
                assert len({u for _, u in boxes}) == count
            response = await client.set_image(boxes[0], 2, gray(10))
            assert response.status == 0x0106 and response.offending_element == (0x20200010,)
            response = await client.set_image(boxes[1], 2, gray(10))
            assert response.status == 0
            response, _ = await client.n_create(
                FILM_BOX, film_box_dataset(session, "STANDARD\\11,10")
            )
            assert response.status == 0x0106  # 110 boxes: more than this printer takes

    run(scenario())


def test_display_formats_outside_the_configuration_are_refused():
    async def scenario():
        async with (
            running_printer(film__display_formats=["STANDARD\\1,1", "STANDARD\\2,2"]) as printer,
            scu(printer.port) as client,
        ):
            session = await client.film_session()
            for text in ("STANDARD\\2,3", "ROW\\1,2", "SLIDE"):
                response, _ = await client.n_create(FILM_BOX, film_box_dataset(session, text))
                assert response.status == 0x0106, text
            await client.film_box(session, "STANDARD\\2,2")

    run(scenario())


def test_pixel_module_is_checked_against_table_c13_5():
    async def scenario():
        async with (
            running_printer(film__max_image_rows=256) as printer,
            scu(printer.port, ("grayscale", "color")) as client,
        ):
            session = await client.film_session()
            _, gray_boxes, _, _ = await client.film_box(session, "STANDARD\\3,3")
            box = gray_boxes[0]
            assert (await client.set_image(box, 1, gray(5))).status == 0
            twelve = np.full((16, 16), 4095, np.uint16)
            assert (await client.set_image(box, 1, twelve)).status == 0
            bad_items = [
                {"BitsStored": 10, "HighBit": 9},  # bits stored 8 or 12 only
                {"HighBit": 6},
                {"PhotometricInterpretation": "RGB"},
                {"PixelRepresentation": 1},
                {"SamplesPerPixel": 3},
                {"PixelData": b"\x00" * 10},
            ]
            for item in bad_items:
                dataset = image_box_dataset(1, gray(5), item=item)
                response, _ = await client.n_set(GRAY_BOX, box[1], dataset)
                assert response.status == 0x0106, item
            response, _ = await client.n_set(
                GRAY_BOX, box[1], image_box_dataset(1, gray(5), item={"Rows": None})
            )
            assert response.status == 0x0120
            assert (
                await client.set_image(box, 1, gray(5, (300, 16)))
            ).status == 0x0106  # > max rows
            _, color_boxes, _, _ = await client.film_box(session, "STANDARD\\1,1", context="color")
            assert {c for c, _ in color_boxes} == {COLOR_BOX}
            rgb = np.zeros((8, 8, 3), np.uint8)
            cbox = color_boxes[0]
            assert (await client.set_image(cbox, 1, rgb, context="color")).status == 0
            dataset = image_box_dataset(1, rgb, color=True, item={"PlanarConfiguration": 0})
            response, _ = await client.n_set(COLOR_BOX, cbox[1], dataset, context="color")
            assert response.status == 0x0106 and 0x00280006 in response.offending_element
            # the grayscale class on a colour box: class-instance conflict
            response, _ = await client.n_set(
                GRAY_BOX, cbox[1], image_box_dataset(1, gray(1)), context="grayscale"
            )
            assert response.status == 0x0119
        async with (
            running_printer(film__supports_12bit=False) as printer,
            scu(printer.port) as client,
        ):
            session = await client.film_session()
            _, boxes, _, _ = await client.film_box(session)
            assert (
                await client.set_image(boxes[0], 1, np.zeros((4, 4), np.uint16))
            ).status == 0x0106

    run(scenario())


def test_image_larger_than_its_box_fails_or_warns_by_configuration():
    big = gray(200, (400, 400))  # an 8x10 film at 50 dpi, STANDARD\2,2: boxes under 200 pixels

    async def attempt(oversize, **extra):
        printer_running = running_printer(film__oversize=oversize, film__resolution_dpi=50)
        async with printer_running as printer, scu(printer.port) as client:
            session = await client.film_session()
            film_box, boxes, _, _ = await client.film_box(
                session, "STANDARD\\2,2", FilmSizeID="8INX10IN"
            )
            response = await client.set_image(boxes[0], 1, big, **extra)
            action = None
            if response.status in (0xB604, 0xB609, 0xB60A):
                action, _ = await client.print_film(film_box)
            return response.status, action.status if action else None

    async def scenario():
        assert await attempt("FAIL") == (0xC603, None)
        assert await attempt("DEMAGNIFY") == (0xB604, 0xB604)
        assert await attempt("CROP") == (0xB609, 0xB609)
        assert await attempt("DECIMATE") == (0xB60A, 0xB60A)
        assert await attempt("DEMAGNIFY", RequestedDecimateCropBehavior="CROP") == (0xB609, 0xB609)
        assert await attempt("DEMAGNIFY", RequestedDecimateCropBehavior="FAIL") == (0xC603, None)
        decimate_without_magnification = await attempt(
            "DEMAGNIFY", RequestedDecimateCropBehavior="DECIMATE", MagnificationType="NONE"
        )
        assert decimate_without_magnification == (0xC603, None)

    run(scenario())


def test_requested_image_size_wider_than_the_box_is_refused():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            session = await client.film_session()
            _, boxes, _, _ = await client.film_box(session, "STANDARD\\2,2", FilmSizeID="8INX10IN")
            assert (await client.set_image(boxes[0], 1, gray(1), RequestedImageSize=50)).status == 0
            response = await client.set_image(boxes[0], 1, gray(1), RequestedImageSize=500)
            assert response.status == 0x0106 and response.offending_element == (0x20200030,)

    run(scenario())


def test_printing_an_empty_film_box_warns_b603_and_empty_sessions_b602_c600():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            session = await client.film_session()
            response, _ = await client.n_action(SESSION, session)
            assert response.status == 0xC600
            film_box, _, _, _ = await client.film_box(session)
            response, _ = await client.print_film(film_box)
            assert response.status == 0xB603
            response, _ = await client.n_action(SESSION, session)
            assert response.status == 0xB602
            response, _ = await client.n_action(SESSION, session, action=7)
            assert response.status == 0x0123 and response.action_type_id == 7

    run(scenario())


def test_unprinted_film_box_blocks_the_next_when_session_print_is_unsupported():
    async def scenario():
        async with (
            running_printer(film__session_print=False) as printer,
            scu(printer.port) as client,
        ):
            session = await client.film_session()
            film_box, boxes, _, _ = await client.film_box(session)
            response, _ = await client.n_create(FILM_BOX, film_box_dataset(session))
            assert response.status == 0xC616
            response, _ = await client.n_action(SESSION, session)
            assert response.status == 0x0211
            await client.set_image(boxes[0], 1, gray(9))
            assert (await client.print_film(film_box))[0].status == 0
            await client.film_box(session)  # printed: the next one is fine
        async with running_printer() as printer, scu(printer.port) as client:
            session = await client.film_session()
            await client.film_box(session)
            await client.film_box(session)  # a printer with session print keeps both

    run(scenario())


def test_responses_carry_the_right_affected_uids_and_references(tmp_path):
    async def scenario():
        async with (
            running_printer(tmp_path) as printer,
            scu(printer.port, ("grayscale", "print_job")) as client,
        ):
            session = await client.film_session()
            film_box, boxes, _, out = await client.film_box(session, "STANDARD\\1,2")
            assert out.ReferencedFilmSessionSequence[0].ReferencedSOPInstanceUID == session
            assert out.ReferencedFilmSessionSequence[0].ReferencedSOPClassUID == SESSION
            for position, box in enumerate(boxes, 1):
                response = await client.set_image(box, position, gray(position * 50))
                assert response.affected_sop_class_uid == GRAY_BOX
                assert response.affected_sop_instance_uid == box[1]
            response, reply = await client.print_film(film_box)
            assert (response.affected_sop_class_uid, response.affected_sop_instance_uid) == (
                FILM_BOX,
                film_box,
            )
            assert response.action_type_id == 1
            job = reply.ReferencedPrintJobSequencePullStoredPrint[0]
            assert job.ReferencedSOPClassUID == uids.PRINT_JOB
            response, _ = await client.n_delete(FILM_BOX, film_box)
            assert (response.affected_sop_class_uid, response.affected_sop_instance_uid) == (
                FILM_BOX,
                film_box,
            )
            response = await client.set_image(boxes[0], 1, gray(1))
            assert response.status == 0x0112  # the film box took its image boxes with it

    run(scenario())


def test_no_such_instance_wrong_context_unknown_operation_and_class():
    async def scenario():
        async with (
            running_printer() as printer,
            scu(printer.port, ("grayscale", "presentation_lut")) as client,
        ):
            response, _ = await client.n_set(SESSION, "1.2.3", dataset_of(MediumType="PAPER"))
            assert response.status == 0x0112
            response, _ = await client.n_create(COLOR_BOX)
            assert response.status == 0x0122  # not on the grayscale meta context
            response, _ = await client.n_get(SESSION, "1.2.3")
            assert response.status == 0x0211
            response, _ = await client.n_create("1.2.3.4.5")
            assert response.status == 0x0118
            response, _ = await client.n_create(SESSION, context="presentation_lut")
            assert response.status == 0x0122

    run(scenario())


def test_printer_n_get_all_or_some_attributes():
    async def scenario():
        async with (
            running_printer(
                printer__status="WARNING", printer__status_info="FILM TRANSP ERR"
            ) as printer,
            scu(printer.port, ("grayscale", "printer")) as client,
        ):
            response, out = await client.n_get(uids.PRINTER, uids.PRINTER_INSTANCE)
            assert (response.status, response.affected_sop_instance_uid) == (
                0,
                uids.PRINTER_INSTANCE,
            )
            assert (out.PrinterStatus, out.PrinterStatusInfo) == ("WARNING", "FILM TRANSP ERR")
            assert out.Manufacturer == "hcs"
            response, out = await client.n_get(
                uids.PRINTER, uids.PRINTER_INSTANCE, context="printer", attributes=[0x21100010]
            )
            assert response.status == 0 and list(out.keys()) == [0x21100010]
            response, out = await client.n_get(
                uids.PRINTER, uids.PRINTER_INSTANCE, attributes=[0x21100010, 0x00100010]
            )
            assert response.status == 0x0107 and response.attribute_identifier_list == (0x00100010,)
            response, _ = await client.n_get(uids.PRINTER, "1.2.3")
            assert response.status == 0x0112

    run(scenario())


def test_printer_configuration_retrieval_describes_the_printer():
    async def scenario():
        running = running_printer(
            film__sizes=["8INX10IN"], film__resolution_dpi=254, film__margin_mm=8.0
        )
        async with running as printer, scu(printer.port, ("printer_configuration",)) as client:
            response, out = await client.n_get(
                uids.PRINTER_CONFIGURATION_RETRIEVAL,
                uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
                context="printer_configuration",
            )
            assert response.status == 0
            item = out.PrinterConfigurationSequence[0]
            assert GRAY in item.SOPClassesSupported
            formats = {e.ImageDisplayFormat: e for e in item.SupportedImageDisplayFormatsSequence}
            one = formats["STANDARD\\1,1"]
            assert (one.Columns, one.Rows) == (int((203.2 - 16) * 10), ((254 - 16) * 10))
            assert [float(v) for v in one.PrinterPixelSpacing] == [0.1, 0.1]
            assert "CUSTOM\\1" in formats

    run(scenario())


def test_presentation_lut_create_reference_and_delete():
    async def scenario():
        async with (
            running_printer() as printer,
            scu(printer.port, ("grayscale", "presentation_lut")) as client,
        ):
            plut = "presentation_lut"
            response, out = await client.n_create(
                uids.PRESENTATION_LUT, dataset_of(PresentationLUTShape="IDENTITY"), context=plut
            )
            assert response.status == 0 and out.PresentationLUTShape == "IDENTITY"
            lut_uid = response.affected_sop_instance_uid
            response, _ = await client.n_create(
                uids.PRESENTATION_LUT, dataset_of(PresentationLUTShape="LOG"), context=plut
            )
            assert response.status == 0x0106
            response, _ = await client.n_create(uids.PRESENTATION_LUT, Dataset(), context=plut)
            assert response.status == 0x0120
            item = dataset_of(
                LUTDescriptor=[256, 0, 12], LUTData=np.arange(0, 4096, 16, dtype="<u2").tobytes()
            )
            response, _ = await client.n_create(
                uids.PRESENTATION_LUT, dataset_of(PresentationLUTSequence=[item]), context=plut
            )
            assert response.status == 0
            both = dataset_of(PresentationLUTSequence=[item], PresentationLUTShape="IDENTITY")
            response, _ = await client.n_create(uids.PRESENTATION_LUT, both, context=plut)
            assert response.status == 0x0106
            item = dataset_of(
                LUTDescriptor=[300, 0, 12], LUTData=np.arange(300, dtype="<u2").tobytes()
            )
            response, _ = await client.n_create(
                uids.PRESENTATION_LUT, dataset_of(PresentationLUTSequence=[item]), context=plut
            )
            assert response.status == 0x0106
            session = await client.film_session()
            _, _, _, out = await client.film_box(
                session,
                ReferencedPresentationLUTSequence=[reference(uids.PRESENTATION_LUT, lut_uid)],
            )
            assert out.ReferencedPresentationLUTSequence[0].ReferencedSOPInstanceUID == lut_uid
            assert out.Illumination == 2000
            response, _ = await client.n_create(
                FILM_BOX,
                film_box_dataset(
                    session,
                    ReferencedPresentationLUTSequence=[reference(uids.PRESENTATION_LUT, "1.2.3")],
                ),
            )
            assert response.status == 0x0106
            response, _ = await client.n_delete(uids.PRESENTATION_LUT, lut_uid, context=plut)
            assert response.status == 0
            response, _ = await client.n_delete(uids.PRESENTATION_LUT, lut_uid, context=plut)
            assert response.status == 0x0112

    run(scenario())


def test_annotation_boxes_come_with_the_film_box_and_print(tmp_path):
    async def scenario():
        async with (
            running_printer(tmp_path) as printer,
            scu(printer.port, ("grayscale", "annotation")) as client,
        ):
            session = await client.film_session()
            film_box, boxes, annotations, out = await client.film_box(
                session, AnnotationDisplayFormatID="2"
            )
            assert len(annotations) == 2 and out.AnnotationDisplayFormatID == "2"
            annotation = uids.BASIC_ANNOTATION_BOX
            response, _ = await client.n_set(
                annotation,
                annotations[0],
                dataset_of(AnnotationPosition=1, TextString="PATIENT^ONE"),
                context="annotation",
            )
            assert (response.status, response.affected_sop_instance_uid) == (0, annotations[0])
            response, _ = await client.n_set(
                annotation,
                annotations[1],
                dataset_of(AnnotationPosition=1, TextString="X"),
                context="annotation",
            )
            assert response.status == 0x0106
            response, _ = await client.n_set(
                annotation, "1.2.3", dataset_of(AnnotationPosition=1), context="annotation"
            )
            assert response.status == 0x0112
            await client.set_image(boxes[0], 1, gray(128))
            await client.print_film(film_box)
            await printer.wait_jobs()
        film = read_json(tmp_path / "films" / "a0001-f001.json")
        assert film["annotations"] == [{"position": 1, "text": "PATIENT^ONE"}]

    run(scenario())


def test_density_and_memory_warnings_b605_b600():
    async def scenario():
        async with running_printer() as printer, scu(printer.port) as client:
            response, _ = await client.n_create(SESSION, dataset_of(MemoryAllocation="1024"))
            assert response.status == 0xB600
            session = response.affected_sop_instance_uid
            response, out = await client.n_create(
                FILM_BOX, film_box_dataset(session, MaxDensity=500)
            )
            assert response.status == 0xB605 and out.MaxDensity == 320

    run(scenario())


def test_session_print_collates_every_film_and_jobs_outlive_the_association(tmp_path):
    async def scenario():
        async with running_printer(tmp_path, print_time=0.3) as printer:
            async with scu(printer.port) as client:
                session = await client.film_session(NumberOfCopies="2")
                for value in (40, 200):
                    _, boxes, _, _ = await client.film_box(session)
                    await client.set_image(boxes[0], 1, gray(value))
                response, _ = await client.n_action(SESSION, session)
                assert response.status == 0
            # released before the job finished: the films still print (H.5)
            await printer.wait_idle()
        films = sorted((tmp_path / "films").glob("*.png"))
        assert [f.name for f in films] == ["a0001-f001.png", "a0001-f002.png"]
        record = read_json(tmp_path / "films" / "a0001-f002.json")
        assert record["copies"] == 2 and record["status"] == "PRINTED"

    run(scenario())


def test_the_hierarchy_is_gone_after_release_or_abort():
    async def scenario():
        async with running_printer() as printer:
            client = await Scu.open(printer.port)
            session = await client.film_session()
            client.abort()
            async with scu(printer.port) as again:
                response, _ = await again.n_set(SESSION, session, dataset_of(MediumType="PAPER"))
                assert response.status == 0x0112
                await again.film_session()  # a fresh association has room for a new session
            await printer.wait_idle()
            assert next(a["end"] for a in printer.associations).startswith("aborted")

    run(scenario())


def test_print_job_goes_pending_printing_done_with_events_and_answers_n_get():
    async def scenario():
        async with (
            running_printer(print_time=0.4) as printer,
            scu(printer.port, ("grayscale", "print_job")) as client,
        ):
            session = await client.film_session(FilmSessionLabel="JOB 7")
            film_box, boxes, _, _ = await client.film_box(session)
            await client.set_image(boxes[0], 1, gray(77))
            _, reply = await client.print_film(film_box)
            job = reply.ReferencedPrintJobSequencePullStoredPrint[0].ReferencedSOPInstanceUID
            response, out = await client.n_get(uids.PRINT_JOB, job, context="print_job")
            assert response.status == 0 and out.ExecutionStatus in ("PENDING", "PRINTING")
            assert out.Originator == "TEST_SCU"
            await printer.wait_jobs()
            assert [e.event_type_id for e in client.events] == [1, 2, 3]
            assert {e.affected_sop_instance_uid for e in client.events} == {job}
            done = client.events[-1].decode_dataset(
                client.transfer_syntax(client.context("print_job"))
            )
            assert done.FilmSessionLabel == "JOB 7"
            response, _ = await client.n_get(uids.PRINT_JOB, job, context="print_job")
            assert response.status == 0x0112  # deleted once Done was confirmed

    run(scenario())


def test_the_record_holds_every_message_and_status(tmp_path):
    async def scenario():
        async with running_printer(tmp_path) as printer:
            async with scu(printer.port) as client:
                await print_one(client, [10, 20], "STANDARD\\2,1")
            await printer.wait_idle()
        record = read_json(tmp_path / "associations" / "a0001.json")
        names = [(e["dir"], e["message"]) for e in record["messages"]]
        assert names[:2] == [("in", "N-CREATE-RQ"), ("out", "N-CREATE-RSP")]
        assert names.count(("in", "N-SET-RQ")) == 2
        sets = [e for e in record["messages"] if e["message"] == "N-SET-RQ"]
        assert sets[0]["dataset"]["BasicGrayscaleImageSequence"][0]["PixelData"] == "<1024 bytes>"
        assert all(e["status"] == 0 for e in record["messages"] if e["dir"] == "out")
        assert record["end"] == "released" and record["films"] == ["a0001-f001"]

    run(scenario())

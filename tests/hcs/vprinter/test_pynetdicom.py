"""pynetdicom prints to the virtual printer: grayscale, colour, events, configuration."""

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.uid import generate_uid
from pynetdicom.sop_class import (
    PrinterConfigurationRetrieval,
    PrinterConfigurationRetrievalInstance,
)

from dimse import uids
from tests.hcs.vprinter.helpers import background_printer, dataset_of, read_json, reference
from tests.hcs.vprinter.pyscu import (
    COLOR_META,
    GRAY_META,
    Received,
    associate,
    film_box,
    film_session,
    print_film,
    print_job,
    release,
    set_box,
)


def test_pynetdicom_prints_a_grayscale_film_with_print_job_events(tmp_path):
    with background_printer(tmp_path, print_time=0.2) as printer:
        result = print_job(printer.port)
        printer.wait_idle()
    assert result["printer_status"] == "NORMAL"
    assert result["n_set"] == [0, 0, 0, 0]
    assert (result["n_action"], result["n_delete"]) == (0, 0)
    assert (
        result["reply"].ReferencedPrintJobSequencePullStoredPrint[0].ReferencedSOPClassUID
        == uids.PRINT_JOB
    )
    # The film box was deleted at once, but pynetdicom saw the job through while associated.
    png = np.asarray(Image.open(tmp_path / "films" / "a0001-f001.png"))
    film = read_json(tmp_path / "films" / "a0001-f001.json")
    centres = []
    for box in film["boxes"]:
        x, y, w, h = box["placed"]["image_px"]
        centres.append(int(png[y + h // 2, x + w // 2]))
    assert centres == [30, 90, 150, 210]
    record = read_json(tmp_path / "associations" / "a0001.json")
    assert record["calling_ae"] == "PYNETDICOM" and record["end"] == "released"


def test_pynetdicom_hears_pending_printing_done_before_releasing(tmp_path):
    received = Received()
    with background_printer(tmp_path, print_time=0.3) as printer:
        assoc = associate(printer.port, received=received)
        session = film_session(assoc)
        box_uid, out = film_box(assoc, session, "STANDARD\\1,1")
        set_box(assoc, out.ReferencedImageBoxSequence[0], 1, np.full((8, 8), 99, np.uint8))
        status, reply = print_film(assoc, box_uid)
        job = reply.ReferencedPrintJobSequencePullStoredPrint[0].ReferencedSOPInstanceUID
        status, attributes = assoc.send_n_get(
            [0x21000020], uids.PRINT_JOB, job, meta_uid=uids.PRINT_JOB
        )
        assert status.Status == 0 and attributes.ExecutionStatus in ("PENDING", "PRINTING")
        printer.call(printer.printer.wait_jobs())
        release(assoc)
        printer.wait_idle()
    jobs = [
        (kind, info) for sop_class, kind, info in received.events if sop_class == uids.PRINT_JOB
    ]
    assert [kind for kind, _ in jobs] == [1, 2, 3]
    assert jobs[-1][1].ExecutionStatusInfo == "NORMAL"


def test_pynetdicom_prints_colour_frame_interleaved(tmp_path):
    with background_printer(tmp_path) as printer:
        assoc = associate(printer.port, color=True, grayscale=False)
        session = film_session(assoc, meta=COLOR_META)
        box_uid, out = film_box(assoc, session, "STANDARD\\2,1", meta=COLOR_META)
        assert {i.ReferencedSOPClassUID for i in out.ReferencedImageBoxSequence} == {
            uids.BASIC_COLOR_IMAGE_BOX
        }
        colours = [(250, 10, 10), (10, 10, 250)]
        for position, (item, colour) in enumerate(
            zip(out.ReferencedImageBoxSequence, colours, strict=False), 1
        ):
            rgb = np.zeros((16, 16, 3), np.uint8)
            rgb[...] = colour
            assert set_box(assoc, item, position, rgb, meta=COLOR_META).Status == 0
        status, _ = print_film(assoc, box_uid, meta=COLOR_META)
        assert status.Status == 0
        release(assoc)
        printer.wait_idle()
    png = np.asarray(Image.open(tmp_path / "films" / "a0001-f001.png"))
    film = read_json(tmp_path / "films" / "a0001-f001.json")
    seen = []
    for box in film["boxes"]:
        x, y, w, h = box["placed"]["image_px"]
        seen.append(tuple(int(v) for v in png[y + h // 2, x + w // 2]))
    assert seen == colours


def test_pynetdicom_session_print_with_lut_annotation_and_12_bit_images_stored_as_dicom(tmp_path):
    with background_printer(tmp_path, store_dicom=True) as printer:
        assoc = associate(printer.port)
        lut_uid = generate_uid()
        status, _ = assoc.send_n_create(
            dataset_of(PresentationLUTShape="LIN OD"),
            uids.PRESENTATION_LUT,
            lut_uid,
            meta_uid=uids.PRESENTATION_LUT,
        )
        assert status.Status == 0
        session = film_session(assoc, NumberOfCopies="2")
        twelve = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 4096
        for display_format in ("ROW\\1,2", "COL\\2,1"):
            _box_uid, out = film_box(
                assoc,
                session,
                display_format,
                AnnotationDisplayFormatID="1",
                ReferencedPresentationLUTSequence=[reference(uids.PRESENTATION_LUT, lut_uid)],
            )
            for position, item in enumerate(out.ReferencedImageBoxSequence, 1):
                assert set_box(assoc, item, position, twelve, Polarity="REVERSE").Status == 0
            annotation = out.ReferencedBasicAnnotationBoxSequence[0].ReferencedSOPInstanceUID
            status, _ = assoc.send_n_set(
                dataset_of(AnnotationPosition=1, TextString=display_format),
                uids.BASIC_ANNOTATION_BOX,
                annotation,
                meta_uid=uids.BASIC_ANNOTATION_BOX,
            )
            assert status.Status == 0
        status, _ = assoc.send_n_action(
            None, 1, uids.BASIC_FILM_SESSION, session, meta_uid=GRAY_META
        )
        assert status.Status == 0
        release(assoc)
        printer.wait_idle()
    films = [read_json(tmp_path / "films" / f"a0001-f00{i}.json") for i in (1, 2)]
    assert [f["film_box_attributes"]["ImageDisplayFormat"] for f in films] == [
        "ROW\\1,2",
        "COL\\2,1",
    ]
    assert all(f["copies"] == 2 for f in films)
    assert films[1]["annotations"] == [{"position": 1, "text": "COL\\2,1"}]
    stored = dcmread(tmp_path / "films" / "a0001-f001-box02.dcm")
    item = stored.BasicGrayscaleImageSequence[0]
    assert (item.BitsStored, item.Rows) == (12, 64)
    assert np.array_equal(np.frombuffer(item.PixelData, "<u2").reshape(64, 64), twelve)


def test_pynetdicom_reads_the_printer_configuration():
    with background_printer() as printer:
        assoc = associate(printer.port, extra=(PrinterConfigurationRetrieval,))
        status, out = assoc.send_n_get(
            [0x2000001E],
            PrinterConfigurationRetrieval,
            PrinterConfigurationRetrievalInstance,
            meta_uid=PrinterConfigurationRetrieval,
        )
        release(assoc)
    assert status.Status == 0
    item = out.PrinterConfigurationSequence[0]
    assert item.PrinterName == "VPRINTER"
    assert len(item.SupportedImageDisplayFormatsSequence) > 12


def test_sixteen_pynetdicom_associations_at_once_each_with_its_own_session(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with background_printer(tmp_path) as printer:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda i: print_job(printer.port, (i, i, i, i)), range(16)))
        printer.wait_idle()
    assert all(r["n_action"] == 0 and r["n_set"] == [0, 0, 0, 0] for r in results)
    assert len(list((tmp_path / "films").glob("*.png"))) == 16
    assert len(list((tmp_path / "associations").glob("*.json"))) == 16

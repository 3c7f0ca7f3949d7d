"""DCMTK prints to the virtual printer: ``dcmpsprt`` composes a job, ``dcmprscu`` sends it.

``dcmpsprt`` turns DICOM images into a Stored Print object and Hardcopy Grayscale
images in its database; ``dcmprscu`` reads the Stored Print object and runs the whole
Print Management conversation (N-GET Printer, Presentation LUT, session, film box,
image boxes, annotation, N-ACTION, N-DELETE). Both read ``dcmpstat.cfg``, written here.
"""

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.hcs.vprinter.helpers import background_printer, read_json, require

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def write_image(path: Path, value: int, size: int = 64) -> None:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.SOPClassUID = SECONDARY_CAPTURE
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.PatientName, dataset.PatientID, dataset.Modality = "PRINT^TEST", "1", "OT"
    dataset.Rows = dataset.Columns = size
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 8, 8, 7
    dataset.PixelRepresentation = 0
    pixels = np.full((size, size), value, np.uint8)
    pixels[0, 0], pixels[-1, -1] = 0, 255  # the full range, so no tool stretches it
    dataset.PixelData = pixels.tobytes()
    dataset.save_as(path, enforce_file_format=True)


def write_config(folder: Path, port: int, extra: str = "") -> Path:
    (folder / "db").mkdir()
    (folder / "spool").mkdir()
    path = folder / "dcmpstat.cfg"
    path.write_text(
        f"""[[GENERAL]]
[DATABASE]
Directory = {folder / "db"}
[PRINT]
Spooler = dcmprscu
Server = dcmprscp
Directory = {folder / "spool"}
Sleep = 1
[[COMMUNICATION]]
[VPRINTER]
Aetitle = VPRINTER
Description = hcs virtual printer
Hostname = 127.0.0.1
Port = {port}
Type = PRINTER
DisplayFormat = 1,1\\2,2\\3,2
FilmSizeID = 8INX10IN\\14INX17IN
MagnificationType = REPLICATE\\BILINEAR\\CUBIC\\NONE
MediumType = PAPER\\CLEAR FILM\\BLUE FILM
MaxPDU = 16384
Supports12Bit = true
SupportsImageSize = true
SupportsDecimateCrop = true
SupportsTrim = true
ImplicitOnly = false
{extra}
"""
    )
    return path


def dcmtk_print(
    folder: Path,
    port: int,
    images: list[Path],
    *options: str,
    config_extra: str = "",
    spool: tuple = (),
):
    config = write_config(folder, port, config_extra)
    composed = subprocess.run(
        [require("dcmpsprt"), "-c", str(config), "-p", "VPRINTER", *options, *map(str, images)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert composed.returncode == 0, composed.stderr
    stored_print = sorted((folder / "db").glob("SP_*.dcm"))
    assert len(stored_print) == 1, composed.stderr
    sent = subprocess.run(
        [
            require("dcmprscu"),
            "-c",
            str(config),
            "-p",
            "VPRINTER",
            "-v",
            *spool,
            str(stored_print[0]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return sent


def box_centres(out: Path, film_id: str) -> list[int]:
    png = np.asarray(Image.open(out / "films" / f"{film_id}.png"))
    film = read_json(out / "films" / f"{film_id}.json")
    values = []
    for box in film["boxes"]:
        if box["placed"]["image_px"] is None:
            values.append(None)
            continue
        x, y, w, h = box["placed"]["image_px"]
        values.append(int(png[y + h // 2, x + w // 2]))
    return values


def test_dcmtk_prints_a_2x2_film_and_the_png_shows_each_image_in_its_box(tmp_path):
    images = []
    for index, value in enumerate((40, 100, 160, 220)):
        images.append(tmp_path / f"image{index}.dcm")
        write_image(images[-1], value)
    out = tmp_path / "out"
    with background_printer(out) as printer:
        sent = dcmtk_print(
            tmp_path,
            printer.port,
            images,
            "--layout",
            "2",
            "2",
            "--filmsize",
            "8INX10IN",
            "--magnification",
            "REPLICATE",
        )
        printer.wait_idle()
    assert sent.returncode == 0, sent.stdout + sent.stderr
    film = read_json(out / "films" / "a0001-f001.json")
    assert film["film_box_attributes"]["ImageDisplayFormat"] == "STANDARD\\2,2"
    assert film["film_box_attributes"]["FilmSizeID"] == "8INX10IN"
    assert [b["image"]["bits_stored"] for b in film["boxes"]] == [
        12,
        12,
        12,
        12,
    ]  # DCMTK sends 12 bits
    assert all(b["placed"]["magnification"] == "REPLICATE" for b in film["boxes"])
    centres = box_centres(out, "a0001-f001")
    assert all(
        abs(seen - wanted) <= 2 for seen, wanted in zip(centres, (40, 100, 160, 220), strict=True)
    ), centres
    record = read_json(out / "associations" / "a0001.json")
    operations = [e["message"] for e in record["messages"] if e["dir"] == "in"]
    assert (
        operations[0] == "N-GET-RQ"
        and "N-ACTION-RQ" in operations
        and operations[-1] == "N-DELETE-RQ"
    )
    assert all(e["status"] == 0 for e in record["messages"] if e["dir"] == "out"), record[
        "messages"
    ]


def test_dcmtk_session_print_with_presentation_lut_and_annotation(tmp_path):
    images = []
    for index, value in enumerate((50, 150, 250)):
        images.append(tmp_path / f"image{index}.dcm")
        write_image(images[-1], value)
    out = tmp_path / "out"
    with background_printer(out) as printer:
        sent = dcmtk_print(
            tmp_path,
            printer.port,
            images,
            "--layout",
            "3",
            "2",
            "--identity",
            "--annotation",
            "HCS VIRTUAL PRINTER",
            "--border",
            "WHITE",
            "--landscape",
            config_extra="SupportsPresentationLUT = true\nAnnotation = 1\\1\n",
            spool=("--session-print",),
        )
        printer.wait_idle()
    assert sent.returncode == 0, sent.stdout + sent.stderr
    film = read_json(out / "films" / "a0001-f001.json")
    attributes = film["film_box_attributes"]
    assert (attributes["ImageDisplayFormat"], attributes["FilmOrientation"]) == (
        "STANDARD\\3,2",
        "LANDSCAPE",
    )
    assert film["film_mm"][0] > film["film_mm"][1]
    assert [b["image"] is not None for b in film["boxes"]] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert "HCS VIRTUAL PRINTER" in film["annotations"][0]["text"]
    record = read_json(out / "associations" / "a0001.json")
    created = [e.get("sop_class_name") for e in record["messages"] if e["message"] == "N-CREATE-RQ"]
    assert "Presentation LUT SOP Class" in created
    actions = [e for e in record["messages"] if e["message"] == "N-ACTION-RQ"]
    assert actions[0]["sop_class_name"] == "Basic Film Session SOP Class"
    png = np.asarray(Image.open(out / "films" / "a0001-f001.png"))
    assert png[0, 0] == 255  # --border WHITE
    centres = box_centres(out, "a0001-f001")
    assert all(abs(a - b) <= 2 for a, b in zip(centres[:3], (50, 150, 250), strict=True)), centres


def test_dcmtk_echoscu_and_a_strict_printer_refusing_dcmtk_options(tmp_path):
    with background_printer(tmp_path / "out", film__unsupported_attributes=["Trim"]) as printer:
        echo = subprocess.run(
            [require("echoscu"), "-aec", "VPRINTER", "127.0.0.1", str(printer.port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert echo.returncode == 0, echo.stderr
        image = tmp_path / "image.dcm"
        write_image(image, 128)
        sent = dcmtk_print(tmp_path, printer.port, [image], "--trim")
        printer.wait_idle()
    # dcmprscu gets 0105 on the Film Box N-CREATE and gives the job up.
    assert "unable to create basic film box" in sent.stdout + sent.stderr
    record = read_json(tmp_path / "out" / "associations" / "a0002.json")
    refused = [e for e in record["messages"] if e.get("status") == 0x0105]
    assert refused and refused[0]["attribute_identifier_list"] == ["(2010,0140)"]

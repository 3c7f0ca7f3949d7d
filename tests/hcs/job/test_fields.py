"""One table of job options (``hcs.job.fields``) makes every interface's options."""

import argparse
import dataclasses

import pytest

from hcs.cli import build_parser
from hcs.formatter import JobOptions
from hcs.job import fields
from hcs.server.openapi import DOCUMENT


def subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices[name]


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def test_hcs_print_and_hcs_submit_take_the_same_job_options():
    table = {f.option for f in fields.FIELDS} | {a for f in fields.FIELDS for a in f.aliases}
    assert table <= options_of(subcommand("print"))
    assert table <= options_of(subcommand("submit"))


def test_every_option_is_a_job_options_attribute_and_a_schema_property():
    attributes = {f.name for f in dataclasses.fields(JobOptions)}
    assert {f.python for f in fields.FIELDS} <= attributes
    schema = DOCUMENT["components"]["schemas"]["JobSpec"]["properties"]
    assert set(schema) == {"printer", "images", "paths", "frames", *fields.BY_NAME}
    assert schema["medium"]["enum"][0] == "PAPER"
    assert schema["copies"]["maximum"] == 99


def test_every_option_says_where_it_applies_and_what_it_is_sent_as():
    for field in fields.FIELDS:
        assert field.level in fields.LEVELS, field.name
        if field.level in (fields.SESSION, fields.FILM_BOX, fields.IMAGE_BOX):
            assert field.keyword, field.name


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"copies": 0}, "copies", "from 1 to 99"),
        ({"copies": "2"}, "copies", "must be an integer"),
        ({"medium": "GLASS"}, "medium", "Medium Type"),
        ({"destination": "BIN_0"}, "destination", "FilmDestination"),
        ({"trim": "MAYBE"}, "trim", "YES, NO"),
        ({"window": [40]}, "window", "[center, width]"),
        ({"requested_image_size": -3}, "requested_image_size", "must be from"),
        ({"label": "x" * 65}, "label", "longer than 64"),
        ({"collate": "yes"}, "collate", "true or false"),
        ({"rotate": 45}, "rotate", "45 is not one of 0, 90, 180, 270"),
        ({"rotate": "90"}, "rotate", "must be an integer"),
        ({"flip": "diagonal"}, "flip", "'DIAGONAL' is not one of HORIZONTAL, VERTICAL"),
        ({"zoom": 0}, "zoom", "must be from 0.01 to 16"),
        ({"zoom": 20}, "zoom", "must be from 0.01 to 16"),
        ({"roi": [1, 2, 3]}, "roi", "four whole numbers"),
        ({"roi": [1, 2, 3.5, 4]}, "roi", "four whole numbers"),
        ({"roi": [-1, 0, 10, 10]}, "roi", "column and row must be 0 or more"),
        ({"roi": [0, 0, 0, 10]}, "roi", "width and height 1 or more"),
    ],
)
def test_a_bad_value_is_refused_naming_the_option(data, field, reason):
    with pytest.raises(fields.FieldError) as caught:
        fields.parse(data)
    assert caught.value.field == field and reason in caught.value.reason


def test_values_are_taken_liberally_and_normalised():
    parsed = fields.parse(
        {
            "medium": "blue film",
            "priority": " high",
            "window": [40, 400],
            "format": "standard\\2,2 ",
        }
    )
    assert parsed == {
        "medium": "BLUE FILM",
        "priority": "HIGH",
        "window": (40.0, 400.0),
        "format": "STANDARD\\2,2",
    }


def test_the_command_line_reads_each_option_as_the_table_says():
    args = subcommand("print").parse_args(
        ["x.dcm", "--copies", "3", "--window", "40,400", "--collate", "--empty-density", "WHITE"]
    )
    assert fields.from_args(args) == {
        "copies": 3,
        "window": (40.0, 400.0),
        "collate": True,
        "empty_image_density": "WHITE",
    }
    args = subcommand("print").parse_args(["x.dcm", "--copies", "100"])
    with pytest.raises(fields.FieldError, match="--copies: 100 must be from 1 to 99"):
        fields.from_args(args)


def test_corner_texts_overlay_planes_and_scale_bar_from_json_and_command_line():
    from hcs.formatter.overlay import OverlayPlanes, ScaleBar, Text
    from hcs.server.cli import job_from_args

    parsed = fields.parse({"text": {"top-left": "{PatientID}"}, "overlay_planes": True})
    assert parsed == {"text": {"top-left": "{PatientID}"}, "overlay_planes": True}
    args = subcommand("submit").parse_args(
        ["x.dcm", "--text", "top-left={PatientID}", "--text", "bottom-right=a\\nb", "--overlays"]
    )
    assert job_from_args(args) == {
        "text": {"top-left": "{PatientID}", "bottom-right": "a\nb"},
        "overlay_planes": True,
    }
    options = JobOptions(
        **fields.job_options_arguments({**fields.from_args(args), "scale_bar": 20.0})
    )
    assert options.frame("x.dcm").overlays == (
        Text("{PatientID}", corner="top-left"),
        Text("a\nb", corner="bottom-right"),
        OverlayPlanes(),
        ScaleBar(20.0),
    )
    with pytest.raises(fields.FieldError, match="corner 'middle' is not one of"):
        fields.parse({"text": {"middle": "x"}})
    with pytest.raises(fields.FieldError, match="must be an object"):
        fields.parse({"text": "top-left"})


def test_the_server_refuses_collate_on_a_printer_without_session_print(tmp_path):
    from hcs.server import config as configuration
    from hcs.server.jobspec import JobError, parse

    path = tmp_path / "hcs.toml"
    path.write_text(
        '[server]\nspool = "spool"\n[printers.vp]\nhost = "h"\nport = 104\n'
        '[printers.sp]\nhost = "h"\nport = 105\nsession_print = true\n'
        '[groups]\nboth = ["vp", "sp"]\n'
    )
    config = configuration.load(path)
    spec = parse({"printer": "vp", "images": ["a.dcm"], "copies": 2}, config, uploads=True)
    assert spec.options == {"copies": 2} and spec.priority == "MED"
    for target in ("vp", "both"):  # a group: every printer it may go to must collate
        with pytest.raises(JobError) as caught:
            parse({"printer": target, "images": ["a.dcm"], "collate": True}, config, uploads=True)
        assert caught.value.field == "collate" and caught.value.status == 400
        assert "printer vp" in caught.value.reason and "session_print" in caught.value.reason
    spec = parse({"printer": "sp", "images": ["a.dcm"], "collate": True}, config, uploads=True)
    assert spec.options == {"collate": True}


def test_rotate_flip_zoom_and_roi_from_json_and_command_line_reach_the_frame():
    from hcs.server.cli import job_from_args

    parsed = fields.parse({"rotate": 90, "flip": "horizontal", "zoom": 1.5, "roi": [1, 2, 30, 40]})
    assert parsed == {"rotate": 90, "flip": "HORIZONTAL", "zoom": 1.5, "roi": (1, 2, 30, 40)}
    argv = ["x.dcm", "--rotate", "270", "--flip", "vertical", "--zoom", "0.5", "--roi", "4,5,6,7"]
    expected = {"rotate": 270, "flip": "VERTICAL", "zoom": 0.5, "roi": (4, 5, 6, 7)}
    assert fields.from_args(subcommand("print").parse_args(argv)) == expected
    submitted = job_from_args(subcommand("submit").parse_args(argv))  # hcs submit's JSON
    assert submitted == {**expected, "roi": [4, 5, 6, 7]}
    frame = JobOptions(**fields.job_options_arguments(expected)).frame("x.dcm")
    assert (frame.rotate, frame.flip, frame.zoom, frame.roi) == (270, "VERTICAL", 0.5, (4, 5, 6, 7))
    plain = JobOptions().frame("x.dcm")  # absent: the whole image as it is
    assert (plain.rotate, plain.flip, plain.zoom, plain.roi) == (0, None, 1.0, None)
    with pytest.raises(SystemExit):
        subcommand("print").parse_args(["x.dcm", "--roi", "1,2,3"])
    schema = DOCUMENT["components"]["schemas"]["JobSpec"]["properties"]
    assert schema["rotate"]["enum"] == [0, 90, 180, 270]
    assert schema["flip"]["enum"] == ["HORIZONTAL", "VERTICAL"]
    assert (schema["zoom"]["minimum"], schema["zoom"]["maximum"]) == (0.01, 16.0)
    assert schema["roi"]["minItems"] == schema["roi"]["maxItems"] == 4

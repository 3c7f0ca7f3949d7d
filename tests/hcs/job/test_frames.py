"""A job's frames (``hcs.job.frames``): their keys come from the one table of job
options, they are placed on films by position, and a bad one is named by its path."""

import argparse

import pytest

from hcs.job import fields, frames
from hcs.server.openapi import DOCUMENT


def test_the_per_frame_keys_are_the_tables_image_box_and_frame_options():
    names = {f.name for f in frames.frame_fields()}
    assert {"window", "polarity", "magnification", "text", "graphics"} <= names
    assert {"rotate", "flip", "zoom", "roi"} <= names  # i17geo's, per frame with no change
    assert {f.name for f in fields.FIELDS if f.level in (fields.IMAGE_BOX, fields.FRAME)} <= names
    assert not names & {"copies", "format", "film_size", "collate"}
    schema = DOCUMENT["components"]["schemas"]["Frame"]["properties"]
    assert set(schema) == {*frames.PLACEMENT_KEYS, *names}
    assert schema["polarity"]["enum"] == ["NORMAL", "REVERSE"]


def test_frames_fill_boxes_by_position_and_a_box_going_back_starts_a_film():
    places = [(None, 1), (None, 3), (None, None), (None, 2), (None, None), (3, None)]
    assert frames.arrange(places, 4) == [{1: 0, 3: 1, 4: 2}, {2: 3, 3: 4}, {1: 5}]
    # running past the last box goes on to the next film
    assert frames.arrange([(None, None)] * 5, 2) == [{1: 0, 2: 1}, {1: 2, 2: 3}, {1: 4}]


@pytest.mark.parametrize(
    ("places", "path", "reason"),
    [
        ([(None, 5)], "frames[0].box", "beyond the film's 4"),
        ([(2, None), (1, None)], "frames[1].film", "comes before film 2"),
        ([(1, 2), (1, 2)], "frames[1].box", "box 2 of film 1 is already used by frames[0]"),
    ],
)
def test_a_place_that_cannot_be_is_named(places, path, reason):
    with pytest.raises(fields.FieldError) as caught:
        frames.arrange(places, 4)
    assert caught.value.field == path and reason in caught.value.reason


@pytest.mark.parametrize(
    ("value", "path", "reason"),
    [
        ([], "frames", "non-empty list"),
        ([{"empty": True}], "frames", "names no image"),
        ([{"box": 1}], "frames[0].image", "is required"),
        ([{"image": 2}], "frames[0].image", "index 2 is not one of the job's 1"),
        ([{"image": "a.dcm", "frame": -1}], "frames[0].frame", "frame index"),
        ([{"image": "a.dcm", "box": 0}], "frames[0].box", "from 1"),
        ([{"image": "a.dcm", "polarity": "UPSIDE"}], "frames[0].polarity", "NORMAL, REVERSE"),
        ([{"image": "a.dcm", "film_size": "8INX10IN"}], "frames[0].film_size", "whole film"),
        ([{"image": "a.dcm", "spin": 90}], "frames[0].spin", "unknown key"),
        ([{"image": "a.dcm", "rotate": 45}], "frames[0].rotate", "is not one of"),
        ([{"empty": True, "window": [1, 2]}], "frames[0].window", "only box and film"),
        (
            [{"image": "a.dcm", "graphics": [{"type": "star"}]}],
            "frames[0].graphics[0].type",
            "'star' is not one of",
        ),
        (
            [{"image": "a.dcm", "graphics": [{"type": "arrow", "start": [0, 0]}]}],
            "frames[0].graphics[0].end",
            "is required",
        ),
        (
            [
                {
                    "image": "a.dcm",
                    "graphics": [{"type": "text", "text": "x", "at": [0, 0], "color": 2}],
                }
            ],
            "frames[0].graphics[0].color",
            "gray level",
        ),
    ],
)
def test_a_bad_frame_is_refused_naming_its_path(value, path, reason):
    with pytest.raises(fields.FieldError) as caught:
        frames.parse(value, ["a.dcm"])
    assert caught.value.field == path and reason in caught.value.reason


def test_a_frame_keeps_only_what_it_sets_and_round_trips_as_json():
    [spec] = frames.parse(
        [{"image": "a.dcm", "box": 2, "window": [40, 400], "text": {"top-left": "x"}}],
        ["a.dcm"],
    )
    assert spec.image == 0 and spec.box == 2
    assert spec.options == {"window": (40.0, 400.0), "text": {"top-left": "x"}}
    assert frames.FrameSpec.from_json(spec.as_json()) == spec


def test_the_command_lines_frame_syntax():
    assert frames.from_text("ct.dcm,box=3,window=40:400,polarity=reverse,overlay-planes") == {
        "image": "ct.dcm",
        "box": 3,
        "window": [40.0, 400.0],
        "polarity": "reverse",
        "overlay_planes": True,
    }
    assert frames.from_text("-,box=2") == {"empty": True, "box": 2}
    assert frames.from_text("1,text=top-left:{PatientID},text=bottom-right:a\\nb") == {
        "image": 1,
        "text": {"top-left": "{PatientID}", "bottom-right": "a\nb"},
    }
    assert frames.from_text("0,rotate=90,flip=horizontal,zoom=1.5,roi=3:5:40:20") == {
        "image": 0,
        "rotate": 90,
        "flip": "horizontal",
        "zoom": 1.5,
        "roi": [3, 5, 40, 20],
    }
    assert frames.parse([frames.from_text("0,roi=3:5:40:20,rotate=270")], ["a.dcm"])[0].options == {
        "roi": (3, 5, 40, 20),
        "rotate": 270,
    }
    for bad, reason in [
        ("a,roi=1:2:x:4", "X:Y:WIDTH:HEIGHT"),
        ("a,window=40", "CENTER:WIDTH"),
        ("a,copies=2", "not a frame key"),
        ("a,box=x", "whole number"),
        ("a,graphics=[]", "--frames FILE"),
    ]:
        with pytest.raises(ValueError, match=reason):
            frames.from_text(bad)


def test_frames_name_files_which_become_indexes_into_the_files_sent(tmp_path):
    args = argparse.Namespace(
        files=["a.dcm"], frame=["b.dcm,box=2", "0,box=1", "./a.dcm"], frames_file=None
    )
    found, files = frames.from_args(args)
    assert files == ["a.dcm", "b.dcm"]
    assert found == [{"image": 1, "box": 2}, {"image": 0, "box": 1}, {"image": 0}]

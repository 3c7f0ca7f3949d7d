"""Hypothesis strategies for DIMSE messages, data sets and fragmentation, shared by the tests."""

import dataclasses
import string

from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dimse.messages import Message

uids = (
    st.lists(st.integers(0, 10**9), min_size=2, max_size=12)
    .map(lambda parts: ".".join(map(str, parts)))
    .filter(lambda uid: len(uid) <= 64)
)
us_values = st.integers(0, 0xFFFF)
tags = st.integers(0, 0xFFFFFFFF)
tag_lists = st.lists(tags, min_size=1, max_size=6).map(tuple)
_comment_characters = "".join(c for c in string.printable if c.isprintable() and c != "\\")
error_comments = (
    st.text(alphabet=_comment_characters, min_size=1, max_size=64).map(str.strip).filter(bool)
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """Small print-flavoured data sets: strings, numbers, a sequence, sometimes pixels."""
    dataset = Dataset()
    if draw(st.booleans()):
        dataset.NumberOfCopies = draw(st.integers(1, 99))
    if draw(st.booleans()):
        dataset.PrintPriority = draw(st.sampled_from(["HIGH", "MED", "LOW"]))
    if draw(st.booleans()):
        dataset.FilmSessionLabel = draw(
            st.text(alphabet=string.ascii_letters + string.digits, max_size=64)
        )
    if draw(st.booleans()):
        dataset.ImageBoxPosition = draw(us_values)
    if draw(st.booleans()):
        reference = Dataset()
        reference.ReferencedSOPClassUID = draw(uids)
        reference.ReferencedSOPInstanceUID = draw(uids)
        dataset.ReferencedFilmSessionSequence = [reference]
    if draw(st.booleans()):
        image = Dataset()
        image.Rows = draw(st.integers(1, 4))
        image.Columns = draw(st.integers(1, 4))
        image.BitsAllocated = 8
        image.PixelData = draw(
            st.binary(min_size=image.Rows * image.Columns).filter(lambda b: len(b) % 2 == 0)
        )
        dataset.BasicGrayscaleImageSequence = [image]
    return dataset


FIELD_STRATEGIES = {
    "message_id": us_values,
    "message_id_being_responded_to": us_values,
    "status": st.one_of(us_values, st.sampled_from([0x0000, 0x0106, 0xB605, 0xC616, 0xFF00])),
    "event_type_id": us_values,
    "action_type_id": us_values,
    "error_id": us_values,
    "affected_sop_class_uid": uids,
    "requested_sop_class_uid": uids,
    "affected_sop_instance_uid": uids,
    "requested_sop_instance_uid": uids,
    "offending_element": tag_lists,
    "attribute_identifier_list": tag_lists,
    "error_comment": error_comments,
    "dataset": datasets(),
}
"""A strategy for every message field, by name."""


def messages(message_type: type[Message]) -> st.SearchStrategy[Message]:
    """Messages of one type, each optional field present or absent at random."""
    kwargs = {}
    for field in dataclasses.fields(message_type):
        strategy = FIELD_STRATEGIES[field.name]
        if field.kw_only:
            strategy = st.none() | strategy
        kwargs[field.name] = strategy
    return st.builds(message_type, **kwargs)


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    """Cut ``data`` into fragments of the given sizes, cycling; at least one fragment."""
    if not data:
        return [b""]
    fragments, pos, index = [], 0, 0
    while pos < len(data):
        size = sizes[index % len(sizes)]
        fragments.append(data[pos : pos + size])
        pos += size
        index += 1
    return fragments


fragment_sizes = st.lists(st.integers(1, 97), min_size=1, max_size=8)


def without_dataset(message: Message) -> Message:
    """The message with its data set removed, for comparing command fields alone."""
    if any(field.name == "dataset" for field in dataclasses.fields(message)):
        return dataclasses.replace(message, dataset=None)
    return message


def content(dataset: Dataset) -> list:
    """A data set's tags and values, nested, without VRs.

    Equality of pydicom Datasets compares VRs too, and Pixel Data written as OB comes back
    as OW from implicit VR (PS3.5 A.1): the same bytes, which is what we care about.
    """
    return [
        (element.tag, [content(item) for item in element.value])
        if element.VR == "SQ"
        else (element.tag, element.value)
        for element in dataset
    ]

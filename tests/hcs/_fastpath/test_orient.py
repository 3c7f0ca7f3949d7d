"""``copy_oriented``: a turned or flipped view copied into rows of adjacent pixels,
exactly as numpy copies it, for every layout the formatter makes."""

from __future__ import annotations

import numpy as np
import pytest

from hcs._fastpath import copy_oriented

RNG = np.random.default_rng(7)


def views(a: np.ndarray):
    """The eight orientations of ``a`` (four turns, each with and without a mirror),
    and a crop of each: the views the formatter hands over."""
    for k in range(4):
        for mirror in (False, True):
            v = np.rot90(a, k)
            if mirror:
                v = v[:, ::-1]
            yield f"rot{k}{'-mirror' if mirror else ''}", v
            yield f"rot{k}{'-mirror' if mirror else ''}-crop", v[3:-2, 1:-4]


@pytest.mark.parametrize(
    "a",
    [
        RNG.integers(0, 256, (37, 53), dtype=np.uint8),
        RNG.integers(0, 65536, (37, 53), dtype=np.uint16),
        RNG.integers(0, 256, (29, 41, 3), dtype=np.uint8),
        RNG.integers(0, 256, (1, 17), dtype=np.uint8),
        RNG.integers(0, 65536, (67, 1), dtype=np.uint16),
    ],
    ids=["gray8", "gray16", "rgb", "one-row", "one-column"],
)
def test_every_orientation_is_copied_as_numpy_copies_it(a):
    for name, view in views(a):
        out = np.full(view.shape, 7, view.dtype)
        assert copy_oriented(view, out) is out
        assert np.array_equal(out, view), name


def test_into_a_view_with_row_gaps():
    a = RNG.integers(0, 256, (40, 30), dtype=np.uint8)
    film = np.zeros((60, 50), np.uint8)
    box = film[5:35, 7:47]  # rows 50 bytes apart, 40 pixels each
    copy_oriented(np.rot90(a), box)
    assert np.array_equal(box, np.rot90(a))
    assert film[:5].sum() == 0 and film[35:].sum() == 0 and film[:, :7].sum() == 0


def test_bad_arguments_are_errors_not_crashes():
    a = np.zeros((4, 5), np.uint8)
    with pytest.raises(TypeError, match="uint8 or uint16"):
        copy_oriented(a.astype(np.int32), np.zeros((4, 5), np.int32))
    with pytest.raises(TypeError, match="uint8 or uint16"):
        copy_oriented(a, np.zeros((4, 5), np.uint16))
    with pytest.raises(ValueError, match="differ in shape"):
        copy_oriented(a, np.zeros((5, 4), np.uint8))
    with pytest.raises(ValueError, match="rows must be adjacent pixels"):
        copy_oriented(a, np.zeros((4, 10), np.uint8)[:, ::2])
    with pytest.raises(ValueError, match="overlaps"):
        copy_oriented(a[:, ::-1], a)
    with pytest.raises(ValueError, match=r"read-only|writeable"):
        ro = np.zeros((4, 5), np.uint8)
        ro.flags.writeable = False
        copy_oriented(a, ro)
    with pytest.raises(TypeError, match="numpy arrays"):
        copy_oriented([[1]], a)
    assert copy_oriented(np.zeros((0, 5), np.uint8), np.zeros((0, 5), np.uint8)).shape == (0, 5)

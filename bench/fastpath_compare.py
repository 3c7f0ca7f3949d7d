"""The hcs._fastpath kernels against what a user would otherwise reach for, in one process.

    .venv/bin/python bench/fastpath_compare.py            # the full run (a few minutes)
    .venv/bin/python bench/fastpath_compare.py --quick    # 3 rounds, no scipy: a smoke test
    .venv/bin/python bench/fastpath_compare.py --only resize --rounds 5
    .venv/bin/python bench/fastpath_compare.py --no-scipy --match "2048->1000 RGB BILINEAR"

Rows (all on this machine, all single-threaded, outputs preallocated where the
alternative allows it):

* LUT, 2048x2048 uint16 -> uint8: ``apply_lut`` against ``np.take(lut, src)``, the same
  with ``out=``, and ``lut[src]``; 12-bit data with a 4096-entry LUT, and full 16-bit
  data with a 65536-entry one.
* window/level LINEAR, 2048x2048 uint16 -> uint8: ``window_level`` against the numpy
  formula written as PS3.3 gives it (float64, same results as ours), a lean float32
  numpy version (clip and scale), and pydicom's ``apply_windowing`` (+ the uint8 cast).
* resize 512->2048, 1024->2560 and 2048->1000, gray and RGB, REPLICATE / BILINEAR /
  CUBIC: ``resize`` against ``cv2.resize`` (``cv2.setNumThreads(1)``, ``dst=`` given;
  INTER_NEAREST / INTER_LINEAR / INTER_CUBIC, and INTER_AREA when shrinking), Pillow's
  ``Image.resize`` (NEAREST / BILINEAR / BICUBIC; the Image is made outside the timing)
  and ``scipy.ndimage.zoom`` (order 0 / 1 / 3, ``grid_mode=True``, ``output=`` given;
  Pillow in the first 3 rounds only, scipy in the first round only: they are slow).
* Image Box encode, 4 MiB of pixels: ``encode_image_box`` against building the same
  pydicom Dataset and ``write_dataset`` (implicit VR LE), and against a memcpy of the
  same 4 MiB (``np.copyto`` into a preallocated buffer): the cost of the one copy we
  do not make.
* colour by plane, 2048x2048 RGB: ``rgb_to_planes`` against ``np.copyto`` of the
  transposed view and ``cv2.split``.

Rounds interleave ours and the alternatives, so that load from other processes falls
on all of them; medians are printed with ratios (alternative time / ours: above 1 is
faster than the alternative). The last lines check the targets of issue 3.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import PIL  # noqa: E402
import pydicom  # noqa: E402
import scipy  # noqa: E402
import scipy.ndimage  # noqa: E402
from PIL import Image  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.filebase import DicomBytesIO  # noqa: E402
from pydicom.filewriter import write_dataset  # noqa: E402
from pydicom.pixels.processing import apply_windowing  # noqa: E402

import hcs._fastpath as fastpath  # noqa: E402
from hcs._fastpath import (  # noqa: E402
    apply_lut,
    encode_image_box,
    resize,
    rgb_to_planes,
    window_level,
)

cv2.setNumThreads(1)
RNG = np.random.default_rng(0)


@dataclass
class Case:
    name: str
    group: str
    ours: Callable[[], object]
    alternatives: dict[str, Callable[[], object]]
    slow: frozenset[str] = frozenset()  # alternatives timed only in the first rounds
    once: frozenset[str] = frozenset()  # alternatives timed in the first round only
    repeat: int = 1  # calls per sample (for microsecond calls)
    samples: dict[str, list[float]] = field(default_factory=dict)


def _time(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


# -- the cases ---------------------------------------------------------------------------


def lut_cases() -> list[Case]:
    cases = []
    for label, hi in (
        ("12-bit data, 4096-entry LUT", 4096),
        ("16-bit data, 65536-entry LUT", 65536),
    ):
        src = RNG.integers(0, hi, (2048, 2048), dtype=np.uint16)
        lut = RNG.integers(0, 256, hi, dtype=np.uint8)
        out = np.empty(src.shape, np.uint8)
        assert np.array_equal(apply_lut(src, lut, out), lut[src])
        cases.append(
            Case(
                f"LUT 2048x2048 u16->u8, {label}",
                "lut",
                lambda src=src, lut=lut, out=out: apply_lut(src, lut, out),
                {
                    "np.take": lambda src=src, lut=lut: np.take(lut, src),
                    "np.take(out=)": lambda src=src, lut=lut, out=out: np.take(lut, src, out=out),
                    "lut[src]": lambda src=src, lut=lut: lut[src],
                },
            )
        )
    return cases


def numpy_window_ps33(src: np.ndarray, center: float, width: float, out: np.ndarray) -> None:
    """PS3.3 C.11.2.1.2.1 in float64 with numpy, rounded half up: our results exactly."""
    x = src.astype(np.float64)
    c, w = center - 0.5, width - 1.0
    y = ((x - c) / w + 0.5) * 255.0
    y = np.where(x <= c - w / 2, 0.0, np.where(x > c + w / 2, 255.0, y))
    np.floor(y + 0.5, out=y)
    out[...] = y


def numpy_window_lean(src: np.ndarray, center: float, width: float, out: np.ndarray) -> None:
    """What a numpy-savvy user writes: float32, one clip, scale, cast."""
    y = src.astype(np.float32)
    y -= np.float32(center - 0.5)
    y *= np.float32(1.0 / (width - 1.0))
    y += np.float32(0.5)
    np.clip(y, 0.0, 1.0, out=y)
    y *= np.float32(255.0)
    y += np.float32(0.5)
    np.copyto(out, y, casting="unsafe")


def window_cases() -> list[Case]:
    src = RNG.integers(0, 4096, (2048, 2048), dtype=np.uint16)
    out = np.empty(src.shape, np.uint8)
    check = np.empty_like(out)
    center, width = 2048.0, 1500.0
    window_level(src, center, width, out)
    numpy_window_ps33(src, center, width, check)
    assert np.array_equal(out, check)
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 8
    ds.PixelRepresentation = 0
    ds.WindowCenter = center
    ds.WindowWidth = width
    best = fastpath.simd_variant()

    def portable_loop() -> None:
        fastpath.set_simd_variant("portable")
        try:
            window_level(src, center, width, out)
        finally:
            fastpath.set_simd_variant(best)

    ours_portable = {"ours, portable loop": portable_loop} if best != "portable" else {}
    return [
        Case(
            f"window/level LINEAR 2048x2048 u16->u8 ({best} loop)",
            "window",
            lambda: window_level(src, center, width, out),
            {
                **ours_portable,
                "numpy PS3.3 f64": lambda: numpy_window_ps33(src, center, width, check),
                "numpy lean f32": lambda: numpy_window_lean(src, center, width, check),
                "pydicom apply_windowing": lambda: apply_windowing(src, ds).astype(np.uint8),
            },
        )
    ]


CV = {"REPLICATE": cv2.INTER_NEAREST, "BILINEAR": cv2.INTER_LINEAR, "CUBIC": cv2.INTER_CUBIC}
PIL_FILTER = {"REPLICATE": Image.NEAREST, "BILINEAR": Image.BILINEAR, "CUBIC": Image.BICUBIC}
ORDER = {"REPLICATE": 0, "BILINEAR": 1, "CUBIC": 3}
RESIZES = [(512, 2048), (1024, 2560), (2048, 1000)]


def resize_cases(with_scipy: bool) -> list[Case]:
    cases = []
    for n_in, n_out in RESIZES:
        for channels in (1, 3):
            extra = () if channels == 1 else (3,)
            src = RNG.integers(0, 256, (n_in, n_in, *extra), dtype=np.uint8)
            out = np.empty((n_out, n_out, *extra), np.uint8)
            alt_out = np.empty_like(out)
            image = Image.fromarray(src)
            zoom = (n_out / n_in, n_out / n_in, *((1,) if channels == 3 else ()))
            for method in ("REPLICATE", "BILINEAR", "CUBIC"):
                size = (n_out, n_out)
                alts = {
                    "cv2": lambda src=src, o=alt_out, m=method, size=size: cv2.resize(
                        src, size, dst=o, interpolation=CV[m]
                    ),
                    "Pillow": lambda image=image, m=method, size=size: image.resize(
                        size, PIL_FILTER[m]
                    ),
                }
                if n_out < n_in:
                    alts["cv2 INTER_AREA"] = lambda src=src, o=alt_out, size=size: cv2.resize(
                        src, size, dst=o, interpolation=cv2.INTER_AREA
                    )
                if with_scipy:
                    alts["scipy zoom"] = lambda src=src, o=alt_out, m=method, z=zoom: (
                        scipy.ndimage.zoom(
                            src,
                            z,
                            output=o,
                            order=ORDER[m],
                            mode="nearest",
                            grid_mode=True,
                            prefilter=ORDER[m] > 1,
                        )
                    )
                kind = "gray" if channels == 1 else "RGB"
                for fn in alts.values():  # every alternative fills the same shape
                    result = fn()
                    if result is not None:
                        assert np.asarray(result).shape[:2] == size
                cases.append(
                    Case(
                        f"resize {n_in}->{n_out} {kind} {method}",
                        "resize",
                        lambda src=src, out=out, m=method: resize(src, out, m),
                        alts,
                        slow=frozenset({"Pillow"}),
                        once=frozenset({"scipy zoom"}),
                    )
                )
    return cases


def imagebox_cases() -> list[Case]:
    pixels = RNG.integers(0, 256, (2048, 2048), dtype=np.uint8)  # 4 MiB
    target = np.empty_like(pixels)
    options = dict(
        polarity="NORMAL",
        magnification="BILINEAR",
        requested_size="350",
        min_density=20,
        max_density=300,
    )

    def with_pydicom() -> bytes:
        ds = Dataset()
        ds.MagnificationType = "BILINEAR"
        ds.MinDensity = 20
        ds.MaxDensity = 300
        ds.ImageBoxPosition = 1
        ds.Polarity = "NORMAL"
        ds.RequestedImageSize = "350"
        item = Dataset()
        item.SamplesPerPixel = 1
        item.PhotometricInterpretation = "MONOCHROME2"
        item.Rows, item.Columns = pixels.shape
        item.BitsAllocated = item.BitsStored = 8
        item.HighBit = 7
        item.PixelRepresentation = 0
        item.PixelData = pixels.tobytes()
        ds.BasicGrayscaleImageSequence = [item]
        fp = DicomBytesIO()
        fp.is_little_endian = True
        fp.is_implicit_VR = True
        write_dataset(fp, ds)
        return fp.getvalue()

    pieces = encode_image_box(pixels, 1, **options)
    assert b"".join(bytes(p) for p in pieces) == with_pydicom()
    assert np.shares_memory(np.frombuffer(pieces[1], np.uint8), pixels)
    return [
        Case(
            "Image Box encode, 4 MiB gray",
            "imagebox",
            lambda: encode_image_box(pixels, 1, **options),
            {
                "pydicom write_dataset": with_pydicom,
                "memcpy 4 MiB": lambda: np.copyto(target, pixels),
            },
            repeat=2000,
        )
    ]


def planes_cases() -> list[Case]:
    src = RNG.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    out = np.empty((3, 2048, 2048), np.uint8)
    alt = np.empty_like(out)
    return [
        Case(
            "rgb_to_planes 2048x2048",
            "planes",
            lambda: rgb_to_planes(src, out),
            {
                "np.copyto(transpose)": lambda: np.copyto(alt, src.transpose(2, 0, 1)),
                "cv2.split": lambda: cv2.split(src),
            },
        )
    ]


# -- running and reporting ------------------------------------------------------------------


def run(cases: list[Case], rounds: int, slow_rounds: int) -> None:
    for case in cases:  # warm up: scratch buffers, page faults of the outputs, caches
        case.ours()
        for fn in case.alternatives.values():
            fn()
    for r in range(rounds):
        for case in cases:
            labels = ["ours", *case.alternatives]
            if r % 2:
                labels.reverse()
            for label in labels:
                if (label in case.slow and r >= slow_rounds) or (label in case.once and r):
                    continue
                fn = case.ours if label == "ours" else case.alternatives[label]
                case.samples.setdefault(label, []).append(_time(fn, case.repeat))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} us"
    return f"{seconds * 1e3:8.2f} ms"


def report(cases: list[Case]) -> dict[tuple[str, str], float]:
    ratios: dict[tuple[str, str], float] = {}
    for case in cases:
        ours = statistics.median(case.samples["ours"])
        print(f"\n{case.name}")
        print(f"  {'ours (hcs._fastpath)':26s} {fmt(ours)}")
        for label in case.alternatives:
            samples = case.samples.get(label)
            if not samples:
                continue
            alt = statistics.median(samples)
            ratios[(case.name, label)] = alt / ours
            print(f"  {label:26s} {fmt(alt)}   x{alt / ours:6.2f}  (n={len(samples)})")
        ratios[(case.name, "ours")] = ours
    return ratios


def check_targets(cases: list[Case], ratios: dict[tuple[str, str], float]) -> None:
    print("\nTargets (issue 3), ratio = alternative / ours:")
    names = {case.name for case in cases}

    def line(ok: bool, text: str) -> None:
        print(f"  [{'met' if ok else 'NOT met'}] {text}")

    for name in sorted(n for n in names if n.startswith("LUT")):
        r = ratios[(name, "np.take")]
        line(r >= 5, f"{name}: x{r:.2f} np.take (>= 5)")
    for name in sorted(n for n in names if n.startswith("window")):
        r = min(ratios[(name, "numpy PS3.3 f64")], ratios[(name, "numpy lean f32")])
        line(r >= 2, f"{name}: x{r:.2f} the faster numpy formula (>= 2)")
        ours = ratios[(name, "ours")]
        line(
            ours <= 0.4e-3 or "avx2" not in name,
            f"{name}: {ours * 1e3:.3f} ms (issue 13: <= 0.4 ms on an AVX2 CPU)",
        )
    for name in sorted(n for n in names if n.startswith("resize")):
        n_in, n_out = (int(v) for v in name.split()[1].split("->"))
        r = ratios[(name, "cv2")]
        if name.endswith("REPLICATE") and n_out > n_in:
            line(r >= 2, f"{name}: x{r:.2f} cv2 INTER_NEAREST (>= 2)")
        elif name.endswith("BILINEAR"):
            need = 1.0 if n_out > n_in else 0.6
            line(r >= need, f"{name}: x{r:.2f} cv2 INTER_LINEAR (>= {need})")
        elif name.endswith("CUBIC"):
            line(r >= 0.5, f"{name}: x{r:.2f} cv2 INTER_CUBIC (>= 0.5)")
    for name in sorted(n for n in names if n.startswith("Image Box")):
        ours = ratios[(name, "ours")]
        line(
            ours < 5e-6,
            f"{name}: {ours * 1e6:.2f} us, no pixel copy (< 5 us); "
            f"pydicom x{ratios[(name, 'pydicom write_dataset')]:.0f}, "
            f"memcpy x{ratios[(name, 'memcpy 4 MiB')]:.0f}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument(
        "--slow-rounds",
        type=int,
        default=3,
        help="rounds in which Pillow and scipy are timed (they are slow)",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds, no scipy")
    parser.add_argument("--no-scipy", action="store_true")
    parser.add_argument(
        "--only",
        choices=["lut", "window", "resize", "imagebox", "planes"],
        action="append",
        help="run only these groups",
    )
    parser.add_argument(
        "--match",
        action="append",
        help="run only the cases whose name contains this text (repeatable)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.slow_rounds, args.no_scipy = 3, 1, True
    build = "HCS_NATIVE=1 (-march=native)" if "AVX2" in fastpath.SIMD else "default (portable)"
    print(
        f"hcs._fastpath from {Path(fastpath.__file__).parent}, build: {build}, "
        f"SIMD: {fastpath.SIMD}; window/level loops here: {', '.join(fastpath.SIMD_VARIANTS)}"
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"numpy {np.__version__}, OpenCV {cv2.__version__} (1 thread), Pillow "
        f"{PIL.__version__}, scipy {scipy.__version__}, pydicom {pydicom.__version__}"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.rounds} rounds, medians")
    groups = args.only or ["lut", "window", "resize", "imagebox", "planes"]
    cases: list[Case] = []
    if "lut" in groups:
        cases += lut_cases()
    if "window" in groups:
        cases += window_cases()
    if "resize" in groups:
        cases += resize_cases(not args.no_scipy)
    if "imagebox" in groups:
        cases += imagebox_cases()
    if "planes" in groups:
        cases += planes_cases()
    if args.match:
        cases = [c for c in cases if any(m in c.name for m in args.match)]
    run(cases, args.rounds, args.slow_rounds)
    ratios = report(cases)
    check_targets(cases, ratios)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""``hcs bench`` against the same load written on pynetdicom, on two real print SCPs.

The load: N films of STANDARD\\2,2 with 512x512 8-bit boxes on one association, each film
its own film session (N-GET Printer, N-CREATE Film Session, N-CREATE Film Box, four
N-SET Image Box, N-ACTION, N-DELETE Film Box, N-DELETE Film Session). The SCPs: hcs's
virtual printer (``hcs vprinter``, rendering every film to PNG) and DCMTK's ``dcmprscp``
(storing every film as Stored Print objects), each in its own process.

hcs runs as a user runs it (``hcs bench ... --json``, a separate process); the
pynetdicom side is the same sequence with pynetdicom's ``send_n_*`` calls, timed the same
way (request sent to response read). Both report films/s and each operation's median.

    .venv/bin/python bench/scp_bench_compare.py             # 30 films per side per SCP
    .venv/bin/python bench/scp_bench_compare.py --quick     # 5 films, a smoke check
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dimse import uids  # noqa: E402
from hcs.bench import BenchPlan, synthetic_pixels  # noqa: E402
from hcs.driver import ImageBoxSpec  # noqa: E402
from hcs.driver.imagebox import dataset_with_pydicom  # noqa: E402
from hcs.peers import dcmprscp, free_port, running  # noqa: E402

FORMAT = "STANDARD\\2,2"
SIZE = 512


def hcs_side(port: int, ae: str, films: int) -> dict:
    load = ["--films", str(films), "--format", FORMAT, "--size", str(SIZE), "--yes", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "hcs", "bench", "127.0.0.1", str(port), "--called-ae", ae, *load],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout)
    return {
        "films_per_s": result["films_per_s"],
        "p50_ms": {name: row["p50_ms"] for name, row in result["operations"].items()},
    }


def pynetdicom_side(port: int, ae: str, films: int) -> dict:
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid
    from pynetdicom import AE

    plan = BenchPlan(films=films, display_format=FORMAT, size=SIZE)
    boxes = [
        dataset_with_pydicom(
            ImageBoxSpec(synthetic_pixels(plan, i)), i + 1, color=False, bits=8, optional={}
        )
        for i in range(plan.boxes)
    ]
    meta = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
    latencies: dict[str, list[float]] = {}

    def timed(name: str, call, *args, **kwargs):
        start = time.perf_counter()
        returned = call(*args, **kwargs)
        status, answer = returned if isinstance(returned, tuple) else (returned, None)
        latencies.setdefault(name, []).append(time.perf_counter() - start)
        if status is None or status.Status not in (0x0000, 0xB600, 0xB601, 0xB602, 0xB603):
            raise RuntimeError(f"pynetdicom {name}: status {status}")
        return answer

    start = time.perf_counter()
    ae_ = AE(ae_title="PYNETDICOM")
    ae_.add_requested_context(
        meta, [uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_LITTLE_ENDIAN]
    )
    assoc = ae_.associate("127.0.0.1", port, ae_title=ae)
    assert assoc.is_established, "pynetdicom could not associate"
    for _ in range(films):
        timed(
            "N-GET Printer",
            assoc.send_n_get,
            [0x21100010],
            uids.PRINTER,
            uids.PRINTER_INSTANCE,
            meta_uid=meta,
        )
        session = Dataset()
        session.NumberOfCopies = 1
        session.FilmSessionLabel = "pynetdicom bench"
        session_uid = generate_uid()
        timed(
            "N-CREATE Film Session",
            assoc.send_n_create,
            session,
            uids.BASIC_FILM_SESSION,
            session_uid,
            meta_uid=meta,
        )
        box = Dataset()
        box.ImageDisplayFormat = FORMAT
        reference = Dataset()
        reference.ReferencedSOPClassUID = uids.BASIC_FILM_SESSION
        reference.ReferencedSOPInstanceUID = session_uid
        box.ReferencedFilmSessionSequence = [reference]
        film_uid = generate_uid()
        answer = timed(
            "N-CREATE Film Box",
            assoc.send_n_create,
            box,
            uids.BASIC_FILM_BOX,
            film_uid,
            meta_uid=meta,
        )
        for item, dataset in zip(answer.ReferencedImageBoxSequence, boxes, strict=False):
            timed(
                "N-SET Image Box",
                assoc.send_n_set,
                dataset,
                item.ReferencedSOPClassUID,
                item.ReferencedSOPInstanceUID,
                meta_uid=meta,
            )
        timed(
            "N-ACTION Film Box (print)",
            assoc.send_n_action,
            None,
            1,
            uids.BASIC_FILM_BOX,
            film_uid,
            meta_uid=meta,
        )
        timed(
            "N-DELETE Film Box", assoc.send_n_delete, uids.BASIC_FILM_BOX, film_uid, meta_uid=meta
        )
        timed(
            "N-DELETE Film Session",
            assoc.send_n_delete,
            uids.BASIC_FILM_SESSION,
            session_uid,
            meta_uid=meta,
        )
    assoc.release()
    seconds = time.perf_counter() - start
    return {
        "films_per_s": films / seconds,
        "p50_ms": {k: statistics.median(v) * 1000 for k, v in latencies.items()},
    }


def show(title: str, hcs: dict, pnd: dict) -> None:
    print(f"\n{title}")
    ratio = hcs["films_per_s"] / pnd["films_per_s"] if pnd["films_per_s"] else float("nan")
    print(
        f"  films/s        hcs {hcs['films_per_s']:8.2f}   pynetdicom {pnd['films_per_s']:8.2f}"
        f"   x{ratio:.1f}"
    )
    print(f"  {'p50 ms':28} {'hcs':>9} {'pynetdicom':>11}")
    for name, value in hcs["p50_ms"].items():
        other = pnd["p50_ms"].get(name)
        print(f"  {name:28} {value:9.2f} {other if other is None else f'{other:11.2f}'}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    films = 5 if args.quick else args.films
    print(f"{films} films of {FORMAT}, {SIZE}x{SIZE} 8-bit boxes, one association per side")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        command = [sys.executable, "-m", "hcs", "vprinter", "--port", str(port)]
        command += ["--out", str(Path(tmp) / "vprinter"), "--png-dpi", "10"]
        with running(command, port, cwd=ROOT):
            hcs = hcs_side(port, "VPRINTER", films)
            pnd = pynetdicom_side(port, "VPRINTER", films)
        show("hcs vprinter (renders a PNG per film)", hcs, pnd)
        with dcmprscp(Path(tmp) / "dcmprscp") as port:
            hcs = hcs_side(port, "PRINTER", films)
            pnd = pynetdicom_side(port, "PRINTER", films)
        show("DCMTK dcmprscp (stores each film)", hcs, pnd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

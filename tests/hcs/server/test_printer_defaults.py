"""A printer's ``[printers.NAME.defaults]`` in the server: a job that names an option
gets its own value, one that does not gets the printer's default, then ours; a job for
a group takes the defaults of the printer that prints each film."""

import asyncio

import pytest

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import (
    MR,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)
from tests.hcs.wire import print_associations


def with_defaults(path, printers: dict[str, dict], defaults: dict[str, dict], **kwargs):
    """write_config plus a [printers.NAME.defaults] table per printer."""
    write_config(path, printers, **kwargs)
    lines = [path.read_text()]
    for name, values in defaults.items():
        lines.append(f"[printers.{name}.defaults]")
        for key, value in values.items():
            lines.append(f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_defaults_reach_the_wire_and_a_job_value_wins(tmp_path):
    out = tmp_path / "vp"
    defaults = {
        "copies": "3",
        "medium": '"BLUE FILM"',
        "film_size": '"8INX10IN"',
        "polarity": '"REVERSE"',
        "priority": '"LOW"',
        "label": '"printer default"',
    }

    async def go():
        async with virtual_printer(out) as vp:
            config = with_defaults(
                tmp_path / "hcs.toml", {"vp": printer_table(vp.port)}, {"vp": defaults}
            )
            async with running_server(config) as server, Client(server.url) as client:
                plain = await client.submit({"printer": "vp"}, [MR])
                own = await client.submit(
                    {"printer": "vp", "copies": 1, "polarity": "NORMAL", "priority": "HIGH"},
                    [MR],
                )
                done = await wait_jobs(client, [plain["id"], own["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert [job["state"] for job in done] == ["done", "done"], done
    sessions = []
    for association in print_associations(out):
        for request in association.requests:
            if request.operation == "N-CREATE Film Session":
                sessions.append(request.dataset)
    boxes = [
        request.dataset
        for association in print_associations(out)
        for request in association.requests
        if request.operation == "N-SET Grayscale Image Box"
    ]
    assert len(sessions) == 2 and len(boxes) == 2
    by_label = {s["NumberOfCopies"]: s for s in sessions}
    assert by_label[3]["MediumType"] == "BLUE FILM"  # the job named nothing
    assert by_label[3]["PrintPriority"] == "LOW"
    assert by_label[1]["PrintPriority"] == "HIGH"  # the job's own values
    assert {s["FilmSessionLabel"] for s in sessions} == {"printer default"}
    assert sorted(b["Polarity"] for b in boxes) == ["NORMAL", "REVERSE"]
    film_boxes = [
        r.dataset
        for a in print_associations(out)
        for r in a.requests
        if r.operation == "N-CREATE Film Box"
    ]
    assert {b["FilmSizeID"] for b in film_boxes} == {"8INX10IN"}


def test_a_group_job_takes_each_printers_defaults(tmp_path):
    """Two printers of a group with different default media: each film carries the
    default of the printer that printed it; defaults that would lay the job out
    differently on the two are refused when the job comes in."""
    outs = [tmp_path / "a", tmp_path / "b"]

    async def go():
        async with virtual_printer(outs[0]) as a, virtual_printer(outs[1]) as b:
            config = with_defaults(
                tmp_path / "hcs.toml",
                {"a": printer_table(a.port), "b": printer_table(b.port)},
                {"a": {"medium": '"PAPER"'}, "b": {"medium": '"BLUE FILM"'}},
                groups={"both": ["a", "b"]},
            )
            async with running_server(config) as server, Client(server.url) as client:
                jobs = [await client.submit({"printer": p}, [MR]) for p in ("a", "b", "both")]
                done = await wait_jobs(client, [j["id"] for j in jobs])
                await a.wait_idle()
                await b.wait_idle()
            with_defaults(
                tmp_path / "hcs.toml",
                {"a": printer_table(a.port), "b": printer_table(b.port)},
                {"a": {"format": '"STANDARD\\\\2,2"'}},
                groups={"both": ["a", "b"]},
            )
            async with running_server(config) as server, Client(server.url) as client:
                with pytest.raises(ServerError) as caught:
                    await client.submit({"printer": "both"}, [MR])
                # naming the format in the job lays it out alike on both
                fine = await client.submit({"printer": "both", "format": "ROW\\2"}, [MR])
                await wait_jobs(client, [fine["id"]])
                await a.wait_idle()
                await b.wait_idle()
            return done, caught.value

    done, refused = asyncio.run(asyncio.wait_for(go(), 120))
    assert [job["state"] for job in done] == ["done"] * 3, done
    media = {}
    for out in outs:
        for association in print_associations(out):
            for request in association.requests:
                if request.operation == "N-CREATE Film Session":
                    media.setdefault(out.name, set()).add(request.dataset.get("MediumType"))
    # (None: the films of the second configuration, which has no default medium)
    assert media["a"] - {None} == {"PAPER"} and media["b"] - {None} == {"BLUE FILM"}
    assert refused.status == 400 and refused.field == "format"
    assert "a: 4, b: 1" in str(refused)

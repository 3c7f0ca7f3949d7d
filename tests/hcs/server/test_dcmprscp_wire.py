"""Jobs submitted over HTTP, printed by the server on DCMTK's dcmprscp: each field is in
what dcmprscp stored (Stored Print, Hardcopy Grayscale Images) or, for the Film Session
and the operations, in its DIMSE log (``tests/hcs/dcmprscp_wire.py``). Then a collated
job: one Film Session N-ACTION for its films, each stored. The virtual printer's twin
is ``test_wire.py``.
"""

import asyncio

from hcs.client import Client
from tests.hcs.dcmprscp_wire import (
    SETTINGS,
    answer,
    film_box_attributes,
    image_box_attributes,
    received,
    stored_films,
)
from tests.hcs.server.helpers import MR, printer_table, running_server, wait_jobs, write_config
from tests.peers import dcmprscp

FIELDS = {
    "priority": "HIGH",
    "copies": 2,
    "format": "STANDARD\\2,1",
    "film_size": "10INX14IN",
    "orientation": "LANDSCAPE",
    "magnification": "REPLICATE",
    "smoothing": "SMOOTH",
    "trim": "YES",
    "border_density": "WHITE",
    "empty_image_density": "BLACK",
    "min_density": 10,
    "max_density": 300,
    "configuration_information": "GAMMA 2.2",
    "medium": "PAPER",
    "destination": "PROCESSOR",
    "label": "http wire",
    "memory_allocation": 512,
    "owner_id": "http owner",
    "resolution": "HIGH",
    "polarity": "REVERSE",
    "requested_image_size": 60,
}
FILM_BOX = {
    "ImageDisplayFormat": "STANDARD\\2,1",
    "FilmOrientation": "LANDSCAPE",
    "FilmSizeID": "10INX14IN",
    "MagnificationType": "REPLICATE",
    "SmoothingType": "SMOOTH",
    "BorderDensity": "WHITE",
    "EmptyImageDensity": "BLACK",
    "MinDensity": 10,
    "MaxDensity": 300,
    "Trim": "YES",
    "ConfigurationInformation": "GAMMA 2.2",
    "RequestedResolutionID": "HIGH",
}


def test_http_jobs_are_kept_by_dcmprscp_as_sent(tmp_path):
    async def go(port):
        table = printer_table(port, ae="PRINTER", session_print=True)
        config = write_config(tmp_path / "hcs.toml", {"dp": table})
        async with running_server(config) as server, Client(server.url) as client:
            job = await client.submit({"printer": "dp", **FIELDS}, [MR, MR])
            [one] = await wait_jobs(client, [job["id"]])
            job = await client.submit(
                {"printer": "dp", "label": "http session", "copies": 3, "collate": True},
                [MR, MR, MR],
            )
            [session] = await wait_jobs(client, [job["id"]])
        return one, session

    with dcmprscp(tmp_path, settings=SETTINGS, log=True) as port:
        one, session = asyncio.run(asyncio.wait_for(go(port), 120))
    assert one["state"] == "done" and session["state"] == "done", (one, session)
    out = tmp_path / "dcmprscp"
    requests = [r for r in received(out) if r.operation != "N-GET Printer"]
    split = [i for i, r in enumerate(requests) if r.operation == "N-CREATE Film Session"]
    assert len(split) == 2, [r.operation for r in requests]
    first, second = requests[: split[1]], requests[split[1] :]

    # the film-by-film job
    assert [r.operation for r in first] == [
        "N-CREATE Film Session",
        "N-CREATE Film Box",
        "N-SET Grayscale Image Box",
        "N-SET Grayscale Image Box",
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
    ]
    film_session, film_box, *_, action, delete_box, delete_session = first
    assert film_session.dataset == {
        "NumberOfCopies": "2",
        "PrintPriority": "HIGH",
        "MediumType": "PAPER",
        "FilmDestination": "PROCESSOR",
        "FilmSessionLabel": "http wire",
        "MemoryAllocation": "512",
        "OwnerID": "http owner",
    }
    assert action.header["Action Type ID"] == "1"
    assert action.instance == delete_box.instance == answer(out, film_box).instance
    assert delete_session.instance == answer(out, film_session).instance
    assert {k: v for k, v in film_box.dataset.items() if v != "SQ"} == {
        key: str(value) for key, value in FILM_BOX.items()
    }
    films = stored_films(out)
    assert len(films) == 1 + 3
    stored = film_box_attributes(films[0])
    assert {key: stored.get(key) for key in FILM_BOX} == FILM_BOX  # and dcmprscp's defaults
    assert [image_box_attributes(box) for box, _ in films[0].images] == [
        {"ImageBoxPosition": position, "Polarity": "REVERSE", "RequestedImageSize": 60}
        for position in (1, 2)
    ]
    for _, image in films[0].images:
        assert (image.BitsAllocated, image.BitsStored, image.HighBit) == (8, 8, 7)
        assert image.Rows > 0 and image.pixel_array.any()

    # the collated job: one session, three film boxes, one N-ACTION on the session
    operations = [r.operation for r in second]
    assert operations == [
        "N-CREATE Film Session",
        *["N-CREATE Film Box", "N-SET Grayscale Image Box"] * 3,
        "N-ACTION Film Session",
        "N-DELETE Film Session",
    ]
    action = second[-2]
    assert action.header["Action Type ID"] == "1"
    assert action.instance == second[-1].instance == answer(out, second[0]).instance
    assert second[0].dataset["NumberOfCopies"] == "3"
    assert second[0].dataset["FilmSessionLabel"] == "http session"
    assert [f["state"] for f in session["films"]] == ["printed"] * 3

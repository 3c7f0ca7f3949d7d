"""docs/conformance.md 3.5: the hardcopy server accepts no associations. Its port speaks
HTTP to its clients; an A-ASSOCIATE-RQ sent there gets no A-ASSOCIATE-AC."""

import asyncio
from urllib.parse import urlsplit

import pytest

from dimse import uids
from dul.items import PresentationContextRQ
from dul.net import AssociationFailed, NetworkError, Timeouts, connect
from hcs.client import Client
from tests.hcs.server.helpers import printer_table, running_server, write_config


def test_an_association_request_to_the_server_is_not_accepted(tmp_path):
    async def go():
        config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(9)})
        async with running_server(config) as server:
            port = urlsplit(server.url).port
            context = PresentationContextRQ(1, uids.VERIFICATION, (uids.IMPLICIT_VR_LITTLE_ENDIAN,))
            with pytest.raises((AssociationFailed, NetworkError)):
                association = await connect(
                    "127.0.0.1",
                    port,
                    called_ae_title="HCS",
                    contexts=[context],
                    timeouts=Timeouts(connect=5, association=5, dimse=5, artim=5),
                )
                association.abort()  # not reached: nothing accepted it
            async with Client(server.url) as client:  # and it still serves its clients
                assert "vp" in {p["name"] for p in (await client.printers())["printers"]}

    asyncio.run(asyncio.wait_for(go(), 60))

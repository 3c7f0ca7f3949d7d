"""Opening an association with a printer: the one place where a profile's addressing
(host, port, AE titles, max PDU, timeouts, TLS) becomes a call of :func:`dul.net.connect`.

The print driver, ``hcs echo``/``hcs status`` and ``hcs probe`` each open associations
with their own presentation contexts; the rest of what they ask for is the same, so it
is said here once and a new addressing setting (a TLS option, a local bind address) is
added in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from dul.items import PresentationContextRQ
from dul.net import UpperLayerConnection, connect
from hcs.driver.profile import PrinterProfile


async def open_upper_layer(
    profile: PrinterProfile, contexts: Sequence[PresentationContextRQ]
) -> UpperLayerConnection:
    """An established association with ``profile``'s printer, proposing ``contexts``."""
    tls = profile.tls
    return await connect(
        profile.host,
        profile.port,
        called_ae_title=profile.ae_title,
        calling_ae_title=profile.calling_ae_title,
        contexts=list(contexts),
        max_pdu_length=profile.max_pdu,
        timeouts=profile.timeouts,
        tls_context=tls.context() if tls else None,
        server_hostname=tls.server_hostname if tls else None,
    )

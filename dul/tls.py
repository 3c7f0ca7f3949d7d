"""TLS for the Upper Layer, sans-I/O: :class:`ssl.SSLObject` over memory BIOs.

PS3.15's secure transport connection profiles (BCP 195: TLS 1.2 or newer) sit below
PS3.8. Keeping TLS as a pair of memory buffers lets :mod:`dul.net` keep its own socket
loop and gather writes; only the encryption itself touches the data.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Sequence

from dul.pdu import Buffer


class TLSClosed(Exception):
    """The peer ended the TLS session (close_notify)."""


class TLSLayer:
    """Encrypts what we send and decrypts what we receive, for one connection."""

    def __init__(
        self, context: ssl.SSLContext, *, server_side: bool, server_hostname: str | None = None
    ):
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._object = context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_side,
            server_hostname=None if server_side else server_hostname,
        )

    @property
    def version(self) -> str | None:
        return self._object.version()

    def encrypt(self, pieces: Sequence[Buffer]) -> bytes:
        for piece in pieces:
            self._object.write(piece)
        return self._outgoing.read()

    def decrypt(self, data: bytes) -> bytes:
        """Plaintext now available from ``data`` (may be empty). Raises :class:`TLSClosed`."""
        self._incoming.write(data)
        plaintext = bytearray()
        while True:
            try:
                chunk = self._object.read(256 * 1024)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                raise TLSClosed() from None
            if not chunk:
                break
            plaintext += chunk
        return bytes(plaintext)

    def pending_output(self) -> bytes:
        """Bytes TLS itself wants sent (handshake, key updates, alerts)."""
        return self._outgoing.read()

    async def handshake(self, sock: socket.socket, timeout: float) -> None:
        """Run the TLS handshake on a connected non-blocking socket."""
        loop = asyncio.get_running_loop()

        async def run() -> None:
            while True:
                try:
                    self._object.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                output = self._outgoing.read()
                if output:
                    await loop.sock_sendall(sock, output)
                if done:
                    return
                data = await loop.sock_recv(sock, 65536)
                if not data:
                    raise ConnectionResetError("the peer closed the connection during TLS set-up")
                self._incoming.write(data)

        await asyncio.wait_for(run(), timeout)

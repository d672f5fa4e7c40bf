"""Channel bindings: the SEC_CHANNEL_BINDINGS a caller passes in a SECBUFFER_CHANNEL_BINDINGS buffer.

The SecBuffer page lists SECBUFFER_CHANNEL_BINDINGS ("channel binding information"); the
structure is eight ULONGs (the initiator's address type, length and offset, the acceptor's, and
the application data's length and offset), each offset counted from the start of the structure,
followed by the data they point into. A TLS channel's bindings are application data only
("tls-server-end-point:" and the certificate's hash, RFC 5929), the addresses zero.

What a package does with them: NTLM's client puts their MD5 in the AUTHENTICATE_MESSAGE
(MsvAvChannelBindings, MS-NLMP 2.2.2.1) and the server compares it with the MD5 of its own
(sspimodel.ntlm.session); Kerberos' client puts the same MD5 in its AP-REQ, as the Bnd of the
authenticator checksum (RFC 4121 4.1.1), and the server compares it likewise
(sspimodel.model.packages). The MD5 is taken over the flat form of the structure
(``channel_bindings_hash``), the form both ends compute.
"""

from __future__ import annotations

import struct

from ..ntlm.session import channel_bindings_hash

__all__ = ["HEADER_SIZE", "digest_of"]

HEADER_SIZE = 32  # eight ULONGs
_HEADER = struct.Struct("<8I")


def digest_of(data: bytes) -> bytes | str:
    """The 16-byte MsvAvChannelBindings of a SEC_CHANNEL_BINDINGS held in ``data``, or what is
    wrong with it (a text naming the field), for the caller's contract error."""
    if len(data) < HEADER_SIZE:
        return f"a SEC_CHANNEL_BINDINGS is at least {HEADER_SIZE} bytes (eight ULONGs), got {len(data)}"
    (
        initiator_type, initiator_length, initiator_offset,
        acceptor_type, acceptor_length, acceptor_offset,
        data_length, data_offset,
    ) = _HEADER.unpack_from(data)  # fmt: skip
    pieces = []
    for name, length, offset in (
        ("the initiator address", initiator_length, initiator_offset),
        ("the acceptor address", acceptor_length, acceptor_offset),
        ("the application data", data_length, data_offset),
    ):
        if length and (offset < HEADER_SIZE or offset + length > len(data)):
            return (
                f"{name} ({length} bytes at offset {offset}) lies outside the {len(data)}-byte buffer "
                f"(offsets count from the structure's start; its header is {HEADER_SIZE} bytes)"
            )
        pieces.append(data[offset : offset + length] if length else b"")
    initiator, acceptor, application = pieces
    return channel_bindings_hash(
        application,
        initiator_addr=initiator,
        acceptor_addr=acceptor,
        initiator_type=initiator_type,
        acceptor_type=acceptor_type,
    )

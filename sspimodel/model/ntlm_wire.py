"""The model's NTLM package on the wire: real NTLMSSP messages (MS-NLMP) through :mod:`sspimodel.ntlm`.

The handshake steps of the NTLM rows of the transition table (:mod:`sspimodel.model.handshake`)
build and check NEGOTIATE / CHALLENGE / AUTHENTICATE messages with
:class:`~sspimodel.ntlm.ClientSession` and :class:`~sspimodel.ntlm.ServerSession` (NTLMv2, AV pairs
with MsvAvTimestamp and MsvAvFlags, the MIC, key exchange). What a real package takes from the
machine comes from the world, so the same calls give the same bytes:

- randomness (client challenge, exported session key, server challenge): :func:`random_source`,
  bytes derived from the world key, the context's conversation id, the role and a counter;
- time (MsvAvTimestamp, the NTLMv2 client challenge's timestamp): the world clock (FILETIME);
- accounts and passwords: the world's principals (the authority validates the response).

Per-message protection (:class:`Protection`) is MS-NLMP 3.4 with extended session security:
NTLMSSP_MESSAGE_SIGNATURE (Version 1, 8-byte HMAC-MD5 checksum RC4-encrypted with the sealing
stream when key exchange is negotiated, 32-bit SeqNum), SIGNKEY/SEALKEY per direction, and one RC4
stream per direction (connection-oriented). The streams keep their keystream ahead of use, so a
check reads the bytes it would use without consuming them: a rejected message leaves the
receiving stream where it was (*Interpretation*: the pages say nothing of the state a rejected
message leaves; the model keeps the context usable, so the next genuine message still verifies).
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Callable
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from ..ntlm import crypto
from ..ntlm.messages import FLAG
from ..ntlm.session import CLIENT_FLAGS
from .constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_INTEGRITY,
    ISC_REQ_NO_INTEGRITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
)
from .world import derivation_input

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "SIGNATURE_SIZE",
    "Protection",
    "Stream",
    "attributes_of",
    "client_flags",
    "random_source",
    "split_account",
]

SIGNATURE_SIZE = 16  # NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9.2)
_VERSION = b"\x01\x00\x00\x00"
_U32 = struct.Struct("<I")
_SIGNATURE = struct.Struct("<I8sI")  # Version, Checksum, SeqNum (MS-NLMP 2.2.2.9.2)
_REMEMBERED = 32  # accepted signatures kept per context to recognise a replay


def split_account(account: str | None, default_domain: str) -> tuple[str, str]:
    """(user, domain) of a credentials' account name: "DOMAIN\\\\user", "user@realm" or "user"."""
    name = account or ""
    if "\\" in name:
        domain, _, user = name.partition("\\")
        return user, domain
    if "@" in name:
        user, _, _realm = name.partition("@")
        return user, default_domain
    return name, default_domain


def random_source(world: World, *label: bytes | str) -> Callable[[int], bytes]:
    """``random(n)``: n bytes (n <= 32) derived from the world key, ``label`` and a counter, so a
    handshake's random values are the same on every run with the same world seed."""
    counter = [0]
    # world.derive("ntlm random", *label, counter): the labelled part of its input, built once.
    head = derivation_input("ntlm random", *label)

    def random(n: int) -> bytes:
        counter[0] += 1
        count = str(counter[0]).encode("ascii")
        return sha256(world.key + head + len(count).to_bytes(4, "big") + count).digest()[:n]

    return random


# Which NegotiateFlags a context request asks for. Windows (ntlm.c
# testInitializeSecurityContextFlags, tests/data/windows_behaviour.yaml) sets
# NTLMSSP_NEGOTIATE_SIGN for ISC_REQ_INTEGRITY, REPLAY_DETECT and SEQUENCE_DETECT and
# NTLMSSP_NEGOTIATE_SEAL for ISC_REQ_CONFIDENTIALITY, neither for the other requests. The other
# flags are CLIENT_FLAGS's; Interpretation: NTLMSSP_NEGOTIATE_ALWAYS_SIGN (a signature on every
# context, MS-NLMP 2.2.2.5) is dropped only for ISC_REQ_NO_INTEGRITY.
_PROTECTION_FLAGS = FLAG.NTLMSSP_NEGOTIATE_SIGN | FLAG.NTLMSSP_NEGOTIATE_SEAL | FLAG.NTLMSSP_NEGOTIATE_ALWAYS_SIGN
_SIGN_ATTRS = ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT


def client_flags(requested: int) -> int:
    flags = CLIENT_FLAGS & ~_PROTECTION_FLAGS
    if requested & _SIGN_ATTRS:
        flags |= FLAG.NTLMSSP_NEGOTIATE_SIGN
    if requested & ISC_REQ_CONFIDENTIALITY:
        flags |= FLAG.NTLMSSP_NEGOTIATE_SEAL
    if not requested & ISC_REQ_NO_INTEGRITY:
        flags |= FLAG.NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    return int(flags)


def attributes_of(flags: int) -> int:
    """The context attributes (ISC numbering) an AUTHENTICATE_MESSAGE's NegotiateFlags give the
    server. Interpretation: NTLMSSP_NEGOTIATE_ALWAYS_SIGN gives integrity; NTLMSSP_NEGOTIATE_SIGN
    gives integrity with replay and sequence detection (NTLM's signatures carry a sequence number,
    MS-NLMP 3.4.4); NTLMSSP_NEGOTIATE_SEAL gives confidentiality."""
    attrs = 0
    if flags & FLAG.NTLMSSP_NEGOTIATE_ALWAYS_SIGN:
        attrs |= ISC_REQ_INTEGRITY
    if flags & FLAG.NTLMSSP_NEGOTIATE_SIGN:
        attrs |= _SIGN_ATTRS
    if flags & FLAG.NTLMSSP_NEGOTIATE_SEAL:
        attrs |= ISC_REQ_CONFIDENTIALITY
    return attrs


class Stream:
    """An RC4 keystream (one direction's sealing handle, MS-NLMP 3.4) that can be read ahead.

    ``peek(n)`` gives the next n keystream bytes without using them; ``take(n)`` uses them.
    ``position`` counts the bytes used, which is what an exported context carries.
    """

    __slots__ = ("_at", "_buffer", "_cipher", "key", "position")

    def __init__(self, key: bytes, position: int = 0) -> None:
        self.key = key
        # Keystream produced but not used yet is ``_buffer[_at:]``: using bytes moves ``_at``
        # instead of copying the rest of the buffer each time. On first use it is the key's
        # kept prefix (crypto.keystream_prefix; most contexts never seal, so not before); a
        # cipher is keyed only when a context uses more.
        self._buffer: bytes | None = None
        self._cipher: Any = None
        self._at = 0
        self.position = 0
        if position:
            self.take(position)

    def peek(self, n: int, skip: int = 0) -> bytes:
        """The n keystream bytes that follow the next ``skip`` unused ones (none used)."""
        start = self._at + skip
        end = start + n
        buffer = self._buffer
        if buffer is None:
            buffer = self._buffer = crypto.keystream_prefix(bytes(self.key))
        if end > len(buffer):
            if self._cipher is None:
                self._cipher = crypto.arc4(self.key)
                self._cipher.update(bytes(crypto.PREFIX_SIZE))  # the prefix the buffer started with
            at = self._at
            buffer = self._buffer = buffer[at:] + self._cipher.update(bytes(max(end - len(buffer), _CHUNK)))
            self._at = 0
            start -= at
            end -= at
        return buffer[start:end]

    def skip(self, n: int) -> None:
        """take(n) without the bytes (a verified message uses the keystream it peeked)."""
        buffer = self._buffer
        if buffer is None or self._at + n > len(buffer):
            self.peek(n)
        self._at += n
        self.position += n

    def take(self, n: int) -> bytes:
        start = self._at
        end = start + n
        buffer = self._buffer
        if buffer is not None and end <= len(buffer):  # the usual case: the keystream is there
            out = buffer[start:end]
        else:
            out = self.peek(n)
        self._at += n
        self.position += n
        return out


_CHUNK = 256  # keystream bytes produced at a time (a signature uses 8)
_xor = crypto.xor


class Protection:
    """One side's MakeSignature/VerifySignature/EncryptMessage/DecryptMessage keys and streams."""

    __slots__ = (
        "accepted", "exported_session_key", "flags", "is_client", "key_exchange", "recv", "send", "sign_in", "sign_out",
    )  # fmt: skip

    def __init__(
        self, flags: int, exported_session_key: bytes, is_client: bool, positions: tuple[int, int] = (0, 0)
    ) -> None:
        self.flags = flags
        self.exported_session_key = exported_session_key
        self.is_client = is_client
        self.key_exchange = bool(flags & FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH)
        k128 = bool(flags & FLAG.NTLMSSP_NEGOTIATE_128)
        k56 = bool(flags & FLAG.NTLMSSP_NEGOTIATE_56)
        keys = crypto.session_keys(bytes(exported_session_key), k128, k56)
        # SIGNKEY/SEALKEY (3.4.5.2, 3.4.5.3): the client sends with the client-to-server keys.
        if is_client:
            self.sign_out, self.sign_in = keys.client_sign, keys.server_sign
            self.send = Stream(keys.client_seal, positions[0])
            self.recv = Stream(keys.server_seal, positions[1])
        else:
            self.sign_out, self.sign_in = keys.server_sign, keys.client_sign
            self.send = Stream(keys.server_seal, positions[0])
            self.recv = Stream(keys.client_seal, positions[1])
        self.accepted: dict[bytes, None] = {}  # the last signatures taken, to tell a replay

    def positions(self) -> tuple[int, int]:
        return self.send.position, self.recv.position

    def copy(self) -> Protection:
        return Protection(self.flags, self.exported_session_key, self.is_client, self.positions())

    def sign(self, seq: int, data: bytes) -> bytes:
        """MakeSignature (3.4.4.2): the 16-byte NTLMSSP_MESSAGE_SIGNATURE; uses the send stream."""
        seq &= 0xFFFFFFFF
        checksum = self.sign_out.digest(_U32.pack(seq) + data)[:8]
        if self.key_exchange:
            checksum = _xor(checksum, self.send.take(8))
        return _SIGNATURE.pack(1, checksum, seq)

    def seal(self, seq: int, data: bytes) -> tuple[bytes, bytes]:
        """EncryptMessage (3.4.3): the data sealed with the send stream, then the signature of the
        plaintext (its checksum encrypted with the same stream)."""
        seq &= 0xFFFFFFFF
        n = len(data)
        checksum = self.sign_out.digest(_U32.pack(seq) + data)[:8]
        if self.key_exchange:
            # One read of the stream and one XOR: the data's keystream, then the checksum's 8 bytes.
            both = _xor(data + checksum, self.send.take(n + 8))
            return both[:n], _SIGNATURE.pack(1, both[n:], seq)
        else:
            sealed = _xor(data, self.send.take(n)) if n else b""
        return sealed, _SIGNATURE.pack(1, checksum, seq)

    def sequence_of(self, signature: bytes) -> int | None:
        """The SeqNum of an NTLMSSP_MESSAGE_SIGNATURE, or None when it is not one."""
        if len(signature) != SIGNATURE_SIZE or signature[:4] != _VERSION:
            return None
        return int(_U32.unpack_from(signature, 12)[0])

    def check(self, data: bytes, signature: bytes, offset: int = 0) -> tuple[str, int]:
        """("ok" | "altered" | "bad_token", SeqNum) for a signature over ``data``, reading the
        receive stream ``offset`` bytes ahead (after a sealed message's bytes); uses nothing."""
        if len(signature) != SIGNATURE_SIZE or signature[:4] != _VERSION:
            return "bad_token", 0
        return self._check(data, signature, self.recv.peek(8, offset) if self.key_exchange else b"")

    def _check(self, data: bytes, signature: bytes, stream: bytes) -> tuple[str, int]:
        """check() of a well-formed signature, with the 8 keystream bytes its checksum is
        encrypted with (none without key exchange)."""
        seq = int(_U32.unpack_from(signature, 12)[0])
        checksum = self.sign_in.digest(_U32.pack(seq) + data)[:8]
        if self.key_exchange:
            checksum = _xor(checksum, stream)
        if not hmac.compare_digest(checksum, signature[4:12]):
            return "altered", seq
        return "ok", seq

    def unseal_peek(self, sealed: bytes) -> bytes:
        """The plaintext of a sealed message, without using the receive stream."""
        return _xor(sealed, self.recv.peek(len(sealed))) if sealed else b""

    def unseal_check(self, sealed: bytes, signature: bytes) -> tuple[bytes, str, int]:
        """(plaintext, outcome, SeqNum): ``unseal_peek(sealed)``, then ``check`` of ``signature``
        over the plaintext with the keystream that follows the sealed bytes, from one read of
        the receive stream; uses nothing."""
        n = len(sealed)
        if len(signature) != SIGNATURE_SIZE or signature[:4] != _VERSION:
            return self.unseal_peek(sealed), "bad_token", 0
        if self.key_exchange:
            # One read of the stream and one XOR, as seal() wrote them: the data's keystream,
            # then the checksum's 8 bytes (decrypting the checksum and comparing it with the
            # plaintext's HMAC is the same test as encrypting the HMAC and comparing the two).
            both = _xor(b"".join((sealed, signature[4:12])), self.recv.peek(n + 8))  # join: any bytes-like
            plain = both[:n]
            seq = int(_U32.unpack_from(signature, 12)[0])
            checksum = self.sign_in.digest(_U32.pack(seq) + plain)[:8]
            return plain, ("ok" if hmac.compare_digest(checksum, both[n:]) else "altered"), seq
        plain = self.unseal_peek(sealed)
        return (plain, *self._check(plain, signature, b""))

    def seen(self, signature: bytes) -> bool:
        """Whether ``signature`` is one of the last signatures this side accepted (a replay)."""
        return bytes(signature) in self.accepted

    def accept(self, signature: bytes, sealed_length: int = 0) -> None:
        """Use the receive stream for a verified (and, with ``sealed_length``, unsealed) message."""
        self.recv.skip(sealed_length + (8 if self.key_exchange else 0))
        accepted = self.accepted
        accepted[bytes(signature)] = None
        if len(accepted) > _REMEMBERED:
            del accepted[next(iter(accepted))]

"""Message integrity and confidentiality of an established NTLM context (MS-NLMP 3.4).

Only extended session security (NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) is implemented: the
NTLMSSP_MESSAGE_SIGNATURE of 2.2.2.9.2 (Version 1, an 8-byte HMAC-MD5 checksum, SeqNum), keys
from SIGNKEY/SEALKEY (3.4.5.2, 3.4.5.3), one RC4 stream per direction whose state carries over
from message to message (connection-oriented, 3.4.3/3.4.4), and each side's own sequence number
counting up from 0 for every message it signs or seals.
"""

from __future__ import annotations

import hmac as _hmac
import struct

from attrs import define, field, frozen

from .crypto import HmacMd5, Rc4, seal_key, session_keys
from .errors import MalformedMessage, MessageAltered, OutOfSequence
from .messages import FLAG

__all__ = ["SIGNATURE_SIZE", "SecurityContext", "SecurityContextState"]

SIGNATURE_SIZE = 16  # NTLMSSP_MESSAGE_SIGNATURE (2.2.2.9.2): SecPkgContext_Sizes.cbMaxSignature
_VERSION = b"\x01\x00\x00\x00"
_U32 = struct.Struct("<I")


@frozen
class SecurityContextState:
    """Everything that determines a :class:`SecurityContext`'s next output: what an
    ExportSecurityContext has to carry for the imported context to continue the same streams."""

    flags: int
    exported_session_key: bytes = field(repr=False)
    is_client: bool
    send_sequence: int
    receive_sequence: int
    send_stream_position: int
    receive_stream_position: int


@define
class _Direction:
    sign_key: HmacMd5  # SIGNKEY, ready to MAC
    rc4: Rc4
    seq: int = 0


@define
class SecurityContext:
    """The per-message half of a completed NTLM context, for one side (client or server).

    ``sign``/``verify`` are MakeSignature/VerifySignature; ``seal``/``unseal`` are
    EncryptMessage/DecryptMessage (the signature travels separately, as the SECBUFFER_TOKEN
    trailer of 16 bytes). Every call consumes one sequence number of its direction.
    """

    flags: int
    exported_session_key: bytes
    is_client: bool
    _out: _Direction = field(init=False, repr=False)
    _in: _Direction = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.flags & FLAG.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
            raise ValueError("only extended session security is implemented")
        k128 = bool(self.flags & FLAG.NTLMSSP_NEGOTIATE_128)
        k56 = bool(self.flags & FLAG.NTLMSSP_NEGOTIATE_56)
        keys = session_keys(bytes(self.exported_session_key), k128, k56)
        # The client sends with the client-to-server keys and receives with server-to-client.
        client = _Direction(keys.client_sign, Rc4(keys.client_seal))
        server = _Direction(keys.server_sign, Rc4(keys.server_seal))
        self._out, self._in = (client, server) if self.is_client else (server, client)

    def state(self) -> SecurityContextState:
        return SecurityContextState(
            self.flags,
            self.exported_session_key,
            self.is_client,
            self._out.seq,
            self._in.seq,
            self._out.rc4.position,
            self._in.rc4.position,
        )

    @classmethod
    def restore(cls, state: SecurityContextState) -> SecurityContext:
        """A context that continues exactly where the one ``state`` was taken from stood."""
        context = cls(state.flags, state.exported_session_key, state.is_client)
        k128 = bool(state.flags & FLAG.NTLMSSP_NEGOTIATE_128)
        k56 = bool(state.flags & FLAG.NTLMSSP_NEGOTIATE_56)
        key = state.exported_session_key
        context._out.rc4 = Rc4(seal_key(key, state.is_client, k128, k56), state.send_stream_position)
        context._in.rc4 = Rc4(seal_key(key, not state.is_client, k128, k56), state.receive_stream_position)
        context._out.seq = state.send_sequence
        context._in.seq = state.receive_sequence
        return context

    @property
    def key_exchange(self) -> bool:
        return bool(self.flags & FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH)

    @property
    def send_sequence(self) -> int:
        return self._out.seq

    @property
    def receive_sequence(self) -> int:
        return self._in.seq

    def _mac(self, d: _Direction, seq: int, message: bytes) -> bytes:
        # MAC with extended session security (3.4.4.2): the checksum is the first 8 bytes of
        # HMAC_MD5(SigningKey, SeqNum + Message), RC4-encrypted with the sealing stream when
        # key exchange was negotiated.
        seq_bytes = _U32.pack(seq & 0xFFFFFFFF)  # SeqNum is 32 bits on the wire
        checksum = d.sign_key.digest(seq_bytes + message)[:8]
        if self.key_exchange:
            checksum = d.rc4.update(checksum)
        return _VERSION + checksum + seq_bytes

    def sign(self, message: bytes) -> bytes:
        """MakeSignature: the 16-byte signature of ``message``."""
        d = self._out
        signature = self._mac(d, d.seq, message)
        d.seq += 1
        return signature

    def seal(self, message: bytes) -> tuple[bytes, bytes]:
        """EncryptMessage: (sealed message, signature). 3.4.3: the message is encrypted with
        the sealing stream, then the signature is made over the plaintext with the same stream."""
        d = self._out
        sealed = d.rc4.update(message)
        signature = self._mac(d, d.seq, message)
        d.seq += 1
        return sealed, signature

    def _check(self, message: bytes, signature: bytes) -> None:
        d = self._in
        if len(signature) != SIGNATURE_SIZE:
            raise MalformedMessage("NTLMSSP_MESSAGE_SIGNATURE", "Length", 0, f"{len(signature)} bytes, expected 16")
        if signature[:4] != _VERSION:
            raise MalformedMessage("NTLMSSP_MESSAGE_SIGNATURE", "Version", 0, "is not 1")
        seq = int(_U32.unpack_from(signature, 12)[0])
        expected = self._mac(d, d.seq, message)
        d.seq += 1
        if seq != (d.seq - 1) & 0xFFFFFFFF:
            raise OutOfSequence(f"signature carries SeqNum {seq}, expected {d.seq - 1}")
        if not _hmac.compare_digest(expected, signature):
            raise MessageAltered("the message signature does not match the message")

    def verify(self, message: bytes, signature: bytes) -> None:
        """VerifySignature: returns, or raises MessageAltered / OutOfSequence / MalformedMessage."""
        self._check(message, signature)

    def unseal(self, sealed: bytes, signature: bytes) -> bytes:
        """DecryptMessage: the plaintext, after checking the signature over it."""
        message = self._in.rc4.update(sealed)
        self._check(message, signature)
        return message
